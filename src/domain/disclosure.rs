//! Disclosure control for restricted (local) data seen from outside its owner: the minimum group
//! size and complementary (secondary) suppression, as pure functions over plain data.
//!
//! Every aggregate is a linear equation over its members: `Σ n·value` and `Σ n` over a known set
//! of units. Prikking (see [`super::visibility`]) hides a cell; these rules make sure a hidden cell
//! cannot be worked out from the cells that are shown:
//!
//! - [`too_few_members`]: an aggregate over fewer than `min_group_size` counted members is hidden
//!   (a kommune with one kulturskole would otherwise show that school's own result).
//! - [`protect`]: under a visible parent (the nation over its owners; a group "all" over its kjønn
//!   groups), the hidden parts follow by subtraction as one lump. That lump must itself be safe:
//!   at least two parts resting together on at least `min_group_size` members. Otherwise the
//!   smallest visible parts are hidden too, and when none is left, the parent. A hidden parent
//!   whose parts are all shown takes its smallest part with it.
//! - [`protect_related`]: cells bound by several relations at once (owners by groups, with the
//!   nation and "all" as totals), [`protect`] on each in turn until nothing more is hidden.
//! - [`protect_unit_groups`]: the same inside one unit's groups, over respondents, decided when
//!   the values are written.
//! - [`unanimous`] and [`protect_lump`]: a distribution (units per self-assessment level) whose
//!   members are all in one category tells each member's category, however many they are; so
//!   does a lump of hidden distributions that is.
//!
//! The rules decide over a whole table (every owner of the nation and every group, for one
//! indicator and school year), never over what one request asked for, so the same question always
//! gets the same answer. [`super::Dataset::aggregate`] applies them; **any new figure made from
//! restricted unit data (level distributions of self-assessments, exports, meeting snapshots) must
//! be computed through it, or pass its parts and parents through [`protect_related`] and
//! [`too_few_members`] itself**, and `tests/api/disclosure.rs` (which solves every answer as a
//! linear system) must be extended to collect it.
//!
//! Figures a public source published itself are shown as published, even where the source's own
//! suppression leaves a hidden cell derivable: that disclosure is the source's, and hiding what is
//! public elsewhere protects no one.

use super::{ValueGroup, group_relations};

/// The minimum group size when a source says nothing else.
pub const DEFAULT_MIN_GROUP_SIZE: usize = 3;

/// Whether an aggregate over `counted` members must be hidden from a caller who may not read every
/// member on its own. An aggregate with nothing counted has no value to hide.
pub fn too_few_members(counted: usize, min_group_size: usize) -> bool {
    counted > 0 && counted < min_group_size
}

/// One part of a partition (an owner under the nation), as the caller would see it before
/// complementary suppression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// Members counted in its number: 0 when it adds nothing to the parent.
    pub counted: usize,
    /// Its total `n` (0 when unknown); the smaller parts are hidden first.
    pub n: i64,
    /// Hidden from the caller already (prikket, too few members, not permitted).
    pub hidden: bool,
}

impl Part {
    /// A part as one caller sees it. A part the caller may read member by member is `known`: it
    /// counts for nothing in a lump (the caller subtracts it itself) and so never covers another.
    pub fn seen_by(known: bool, counted: usize, n: i64, hidden: bool) -> Self {
        Self {
            counted: if known { 0 } else { counted },
            n,
            hidden,
        }
    }
}

/// Whether a distribution of restricted data (members counted per category, such as units per
/// self-assessment level) tells each member's own category: every member counted is in one.
pub fn unanimous(counts: &[usize]) -> bool {
    counts.iter().filter(|count| **count > 0).count() == 1
}

/// What [`protect`] decided for a partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protection {
    /// Whether the parent may still be shown.
    pub parent_visible: bool,
    /// Per part, whether it is hidden (already, or now by complementary suppression).
    pub hidden: Vec<bool>,
}

impl Protection {
    /// Whether part `index` was hidden by complementary suppression (not hidden before).
    pub fn newly_hidden(&self, parts: &[Part], index: usize) -> bool {
        self.hidden[index] && !parts[index].hidden
    }
}

/// Whether the hidden contributing parts under a visible parent form a safe lump: none at all, or
/// at least two resting together on at least `min_group_size` members that `discloses` finds
/// nothing in.
fn safe(
    parts: &[Part],
    hidden: &[bool],
    min_group_size: usize,
    discloses: &impl Fn(&[bool]) -> bool,
) -> bool {
    let lump: Vec<&Part> = parts
        .iter()
        .zip(hidden)
        .filter(|(part, hidden)| **hidden && part.counted > 0)
        .map(|(part, _)| part)
        .collect();
    lump.is_empty()
        || (lump.len() >= 2
            && lump.iter().map(|part| part.counted).sum::<usize>() >= min_group_size
            && !discloses(hidden))
}

/// Complementary suppression over one partition: a parent (shown or not) and its parts, whose
/// counted members add up to the parent's. Hides the smallest visible parts (fewest members, then
/// smallest `n`, then first given) until the hidden ones form a safe lump, and the parent when no
/// visible part is left. A hidden parent whose parts are all shown would follow by addition: the
/// smallest part is hidden with it. Deterministic: the same partition always gets the same answer.
pub fn protect(parent_visible: bool, parts: &[Part], min_group_size: usize) -> Protection {
    protect_lump(parent_visible, parts, min_group_size, |_| false)
}

/// [`protect`] where the lump must also pass `discloses`, which is given which parts are hidden
/// and says whether, taken together, they would still give something away (a lump of
/// distributions that is [`unanimous`] tells each of its members' category).
pub fn protect_lump(
    parent_visible: bool,
    parts: &[Part],
    min_group_size: usize,
    discloses: impl Fn(&[bool]) -> bool,
) -> Protection {
    let mut hidden: Vec<bool> = parts.iter().map(|part| part.hidden).collect();
    let smallest_visible = |hidden: &[bool]| {
        parts
            .iter()
            .enumerate()
            .filter(|(index, part)| !hidden[*index] && part.counted > 0)
            .min_by_key(|(index, part)| (part.counted, part.n, *index))
            .map(|(index, _)| index)
    };
    if !parent_visible {
        // A hidden parent follows by addition when every part that adds to it is shown.
        let covered = parts
            .iter()
            .zip(&hidden)
            .any(|(part, hidden)| *hidden && part.counted > 0);
        if !covered && let Some(index) = smallest_visible(&hidden) {
            hidden[index] = true;
        }
        return Protection {
            parent_visible,
            hidden,
        };
    }
    while !safe(parts, &hidden, min_group_size, &discloses) {
        match smallest_visible(&hidden) {
            Some(index) => hidden[index] = true,
            None => {
                return Protection {
                    parent_visible: false,
                    hidden,
                };
            }
        }
    }
    Protection {
        parent_visible,
        hidden,
    }
}

/// An additive relation among cells: the parent is the sum of its parts (value × `n` and `n`),
/// plus a residual where some of the parent's members are counted in it but not in every part (a
/// kulturskole whose kjønn cells are prikket counts in the owner's "all" but not in its kjønn
/// groups). The residual is never shown; the parent minus the visible parts gives it together with
/// the hidden parts, so it is one more hidden part of the lump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub parent: usize,
    pub parts: Vec<usize>,
    pub residual: Option<Part>,
}

/// Complementary suppression over cells bound by several relations at once: a table of owners by
/// groups, with the nation and the group "all" as totals, where hiding a cell to cover another in
/// its column can leave a lone hidden cell in its row. Applies [`protect`] to each relation in turn
/// until none hides anything more (hiding only grows, so this ends). Returns, per cell, whether it
/// is hidden.
pub fn protect_related(cells: &[Part], relations: &[Relation], min_group_size: usize) -> Vec<bool> {
    let mut hidden: Vec<bool> = cells.iter().map(|cell| cell.hidden).collect();
    let mut changed = true;
    while changed {
        changed = false;
        for relation in relations {
            let parts: Vec<Part> = relation
                .parts
                .iter()
                .map(|&cell| Part {
                    hidden: hidden[cell],
                    ..cells[cell]
                })
                .chain(relation.residual)
                .collect();
            let protection = protect(!hidden[relation.parent], &parts, min_group_size);
            for (index, &cell) in relation.parts.iter().enumerate() {
                if protection.hidden[index] && !hidden[cell] {
                    hidden[cell] = true;
                    changed = true;
                }
            }
            if !protection.parent_visible && !hidden[relation.parent] {
                hidden[relation.parent] = true;
                changed = true;
            }
        }
    }
    hidden
}

/// One stored cell of a unit's restricted value in one group, as an import writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupCell {
    pub group: ValueGroup,
    /// Respondents behind it; `None` when there is no value.
    pub respondents: Option<i64>,
    /// Hidden by prikking (suppressed at source or below the source's threshold).
    pub hidden: bool,
}

/// Complementary suppression among one unit's groups of one indicator and school year (the group
/// "all" and its kjønn or trinn groups): which cells must be hidden besides those prikket, so that
/// no prikket group follows by subtraction. Here the members of a lump are respondents: hidden
/// parts are safe together when at least two rest on at least the source's `threshold`
/// respondents. Decided once, when the values are written, so that every path that shows a
/// unit's values (value lists, colour tables, trends, exports) shows the same cells.
pub fn protect_unit_groups(cells: &[GroupCell], threshold: i64) -> Vec<bool> {
    let parts: Vec<Part> = cells
        .iter()
        .map(|cell| {
            let n = cell.respondents.unwrap_or(0);
            Part {
                counted: cell
                    .respondents
                    .map_or(0, |n| usize::try_from(n).unwrap_or(0).max(1)),
                n,
                hidden: cell.hidden,
            }
        })
        .collect();
    let groups: Vec<ValueGroup> = cells.iter().map(|cell| cell.group).collect();
    let relations: Vec<Relation> = group_relations(&groups)
        .into_iter()
        .map(|(parent, parts)| Relation {
            parent,
            parts,
            residual: None,
        })
        .collect();
    protect_related(
        &parts,
        &relations,
        usize::try_from(threshold).unwrap_or(0).max(1),
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn part(counted: usize, n: i64, hidden: bool) -> Part {
        Part { counted, n, hidden }
    }

    #[test]
    fn one_hidden_part_under_a_visible_parent_takes_the_smallest_visible_one_with_it() {
        let parts = [part(3, 90, false), part(1, 20, true), part(2, 40, false)];

        let protection = protect(true, &parts, 3);

        assert_eq!(protection.hidden, [false, true, true]);
        assert!(protection.parent_visible);
        assert!(protection.newly_hidden(&parts, 2));
    }

    #[test]
    fn when_no_visible_part_is_left_the_parent_is_hidden() {
        let parts = [part(3, 90, false), part(1, 20, true)];

        let protection = protect(true, &parts, 5);

        assert_eq!(protection.hidden, [true, true]);
        assert!(!protection.parent_visible);
    }

    #[test]
    fn parts_that_add_nothing_are_neither_a_risk_nor_a_cover() {
        let parts = [part(0, 0, true), part(4, 90, false), part(0, 0, false)];

        assert_eq!(protect(true, &parts, 3).hidden, [true, false, false]);
        assert!(!too_few_members(0, 3));
        assert!(too_few_members(2, 3));
        assert!(!too_few_members(3, 3));
    }

    #[test]
    fn a_hidden_parent_with_a_hidden_part_needs_nothing_more() {
        let parts = [part(3, 90, false), part(1, 20, true)];

        assert_eq!(protect(false, &parts, 3).hidden, [false, true]);
    }

    #[test]
    fn a_hidden_parent_whose_parts_are_all_shown_takes_the_smallest_with_it() {
        let parts = [part(3, 90, false), part(0, 0, false), part(2, 40, false)];

        assert_eq!(protect(false, &parts, 3).hidden, [false, false, true]);
    }

    #[test]
    fn a_cell_hidden_to_cover_its_column_makes_its_row_hide_another() {
        // Two owners by two kjønn groups; "all" columns left out. Owner 0's girls are too few.
        // Cells: 0 girls, 1 boys (owner 0); 2 girls, 3 boys (owner 1); 4 girls, 5 boys (nation);
        // 6 everyone of owner 0, 7 of owner 1.
        let cells = [
            part(1, 10, true),
            part(3, 60, false),
            part(3, 50, false),
            part(3, 70, false),
            part(4, 60, false),
            part(6, 130, false),
            part(3, 70, false),
            part(3, 120, false),
        ];
        let relation = |parent, parts: [usize; 2]| Relation {
            parent,
            parts: parts.to_vec(),
            residual: None,
        };
        let relations = [
            relation(4, [0, 2]),
            relation(5, [1, 3]),
            relation(6, [0, 1]),
            relation(7, [2, 3]),
        ];

        let hidden = protect_related(&cells, &relations, 3);

        // The girls' column hides owner 1's girls; owner 1's row then hides its boys, the boys'
        // column owner 0's boys: every hidden cell has a hidden sibling in each of its relations.
        assert_eq!(hidden, [true, true, true, true, false, false, false, false]);
    }

    #[test]
    fn a_prikket_half_of_a_unit_hides_the_other_half() {
        let group = |code| ValueGroup::parse(code).unwrap();
        let cell = |code, respondents: i64, hidden| GroupCell {
            group: group(code),
            respondents: Some(respondents),
            hidden,
        };
        let split = [
            cell("all", 40, false),
            cell("kjonn=jenter", 34, false),
            cell("kjonn=gutter", 6, true),
        ];
        let whole = [
            cell("all", 40, false),
            cell("kjonn=jenter", 20, false),
            cell("kjonn=gutter", 20, false),
        ];

        assert_eq!(protect_unit_groups(&split, 10), [false, true, true]);
        assert_eq!(protect_unit_groups(&whole, 10), [false, false, false]);
    }

    proptest! {
        /// After the rule, under a visible parent, no hidden part stands alone and the hidden
        /// parts together rest on at least the minimum group size; nothing visible before is shown
        /// less than needed (parts hidden before stay hidden).
        #[test]
        fn no_hidden_part_follows_by_subtraction(
            raw in prop::collection::vec((0usize..5, 0i64..200, any::<bool>()), 0..8),
            min_group_size in 1usize..6,
            parent_visible in any::<bool>(),
        ) {
            // Parts hidden before are the ones with too few members or flagged.
            let parts: Vec<Part> = raw
                .iter()
                .map(|&(counted, n, flagged)| {
                    part(counted, n, flagged || too_few_members(counted, min_group_size))
                })
                .collect();

            let protection = protect(parent_visible, &parts, min_group_size);

            for (before, after) in parts.iter().zip(&protection.hidden) {
                prop_assert!(!before.hidden || *after);
            }
            if protection.parent_visible {
                prop_assert!(parent_visible);
                let lump: Vec<&Part> = parts
                    .iter()
                    .zip(&protection.hidden)
                    .filter(|(part, hidden)| **hidden && part.counted > 0)
                    .map(|(part, _)| part)
                    .collect();
                prop_assert!(lump.len() != 1);
                let members: usize = lump.iter().map(|part| part.counted).sum();
                prop_assert!(lump.is_empty() || members >= min_group_size);
            }
            if !protection.parent_visible && parts.iter().any(|part| part.counted > 0) {
                prop_assert!(parts
                    .iter()
                    .zip(&protection.hidden)
                    .any(|(part, hidden)| *hidden && part.counted > 0));
            }
            for (part, hidden) in parts.iter().zip(&protection.hidden) {
                if !hidden {
                    prop_assert!(!too_few_members(part.counted, min_group_size));
                }
            }
            prop_assert_eq!(protect(parent_visible, &parts, min_group_size), protection);
        }
    }
}

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
//!   smallest visible parts are hidden too, and when none is left, the parent.
//!
//! The rules decide over a whole partition (every owner of the nation for one indicator, school
//! year and group), never over what one request asked for, so the same question always gets the
//! same answer. [`super::Dataset::aggregate`] applies them; **any new figure made from restricted
//! unit data (level distributions of self-assessments, exports, meeting snapshots) must be computed
//! through it, or pass its parts and parent through [`protect`] and [`too_few_members`] itself**,
//! and `tests/api/disclosure.rs` (which solves every answer as a linear system) must be extended to
//! collect it.
//!
//! Figures a public source published itself are shown as published, even where the source's own
//! suppression leaves a hidden cell derivable: that disclosure is the source's, and hiding what is
//! public elsewhere protects no one.

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
/// at least two resting together on at least `min_group_size` members.
fn safe(parts: &[Part], hidden: &[bool], min_group_size: usize) -> bool {
    let lump: Vec<&Part> = parts
        .iter()
        .zip(hidden)
        .filter(|(part, hidden)| **hidden && part.counted > 0)
        .map(|(part, _)| part)
        .collect();
    lump.is_empty()
        || (lump.len() >= 2
            && lump.iter().map(|part| part.counted).sum::<usize>() >= min_group_size)
}

/// Complementary suppression over one partition: a parent (shown or not) and its parts, whose
/// counted members add up to the parent's. Hides the smallest visible parts (fewest members, then
/// smallest `n`, then first given) until the hidden ones form a safe lump, and the parent when no
/// visible part is left. Deterministic: the same partition always gets the same answer.
pub fn protect(parent_visible: bool, parts: &[Part], min_group_size: usize) -> Protection {
    let mut hidden: Vec<bool> = parts.iter().map(|part| part.hidden).collect();
    if !parent_visible {
        return Protection {
            parent_visible,
            hidden,
        };
    }
    while !safe(parts, &hidden, min_group_size) {
        let next = parts
            .iter()
            .enumerate()
            .filter(|(index, part)| !hidden[*index] && part.counted > 0)
            .min_by_key(|(index, part)| (part.counted, part.n, *index))
            .map(|(index, _)| index);
        match next {
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
    fn a_hidden_parent_needs_nothing_more() {
        let parts = [part(3, 90, false), part(1, 20, true)];

        assert_eq!(protect(false, &parts, 3).hidden, [false, true]);
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
            for (part, hidden) in parts.iter().zip(&protection.hidden) {
                if !hidden {
                    prop_assert!(!too_few_members(part.counted, min_group_size));
                }
            }
            prop_assert_eq!(protect(parent_visible, &parts, min_group_size), protection);
        }
    }
}

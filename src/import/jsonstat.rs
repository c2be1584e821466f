//! JSON-stat 2.0 datasets (<https://json-stat.org/format/>), as SSB's statistics API returns them,
//! and the JSON-stat 1.x bundles of SSB's previous API.
//!
//! A dataset is a cube: `id` names its dimensions in order and `size` their lengths; each
//! dimension's categories are ordered by `category.index` (an array of ids, or an object from id
//! to position; left out when a dimension has one category, named by `category.label`). `value`
//! holds the cells in row-major order (the last dimension fastest), as an array or as a sparse
//! object from position to value; `status` marks cells, as one string for all, an array or an
//! object. The cells are read into one array of compact values (numbers, or the text of numbers
//! stored as strings), never into a JSON tree beside it, and records are made one at a time.
//!
//! Which dimension is which: `role.geo` (else `Region`) holds the subject, `role.time` (else
//! `Tid`) the period, `role.metric` (else `ContentsCode`) the indicator; any other dimension is a
//! group, named `dimension=category` (several joined by `;`) for the import rules. SSB's markers:
//! `:` cannot be published (suppressed), `..` and `...` missing, `.` cannot occur (no value). A
//! cell a sparse `value` leaves out is absent.
//!
//! JSON-stat 1.x: a document without `class` is a bundle, an object of named datasets; each
//! dataset holds `id`, `size` and `role` inside its `dimension` object, beside the dimensions,
//! and `value` and `status` as 2.0 does. Every dataset of a bundle is read, in the file's order,
//! into the same records (a cell's location names its dataset); other members are passed over.
//! The whole document is read in one pass, so the cells are held once whatever the version.

use std::{collections::HashMap, fmt, io::Read};

use serde::{
    Deserialize, Deserializer,
    de::{self, MapAccess, SeqAccess, Visitor},
};

use super::{Cell, ImportError, Issue, Location, Problem, Record, text::parse_number};

/// One cell as the file gives it.
#[derive(Debug, Clone, PartialEq)]
enum Raw {
    Null,
    Number(f64),
    /// A number stored as a string, or a marker in place of one.
    Text(Box<str>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RawVisitor;
        impl Visitor<'_> for RawVisitor {
            type Value = Raw;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number, a string or null")
            }
            fn visit_f64<E>(self, value: f64) -> Result<Raw, E> {
                Ok(Raw::Number(value))
            }
            fn visit_i64<E>(self, value: i64) -> Result<Raw, E> {
                Ok(Raw::Number(value as f64))
            }
            fn visit_u64<E>(self, value: u64) -> Result<Raw, E> {
                Ok(Raw::Number(value as f64))
            }
            fn visit_str<E>(self, value: &str) -> Result<Raw, E> {
                Ok(Raw::Text(value.into()))
            }
            fn visit_unit<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_none<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
        }
        deserializer.deserialize_any(RawVisitor)
    }
}

/// Cells given as an array (dense), an object from position to cell (sparse), or one value (for
/// `status`, every cell's; for `value`, the one cell of a dataset of one).
#[derive(Debug, Default)]
enum Cells {
    #[default]
    None,
    All(Raw),
    Dense(Vec<Raw>),
    Sparse(HashMap<usize, Raw>),
}

impl Cells {
    fn get(&self, position: usize) -> &Raw {
        const NULL: &Raw = &Raw::Null;
        match self {
            Self::None => NULL,
            Self::All(raw) => raw,
            Self::Dense(cells) => cells.get(position).unwrap_or(NULL),
            Self::Sparse(cells) => cells.get(&position).unwrap_or(NULL),
        }
    }
}

impl<'de> Deserialize<'de> for Cells {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CellsVisitor;
        impl<'de> Visitor<'de> for CellsVisitor {
            type Value = Cells;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array, an object from position to cell, or one string")
            }
            fn visit_str<E>(self, value: &str) -> Result<Cells, E> {
                Ok(Cells::All(Raw::Text(value.into())))
            }
            fn visit_f64<E>(self, value: f64) -> Result<Cells, E> {
                Ok(Cells::All(Raw::Number(value)))
            }
            fn visit_i64<E>(self, value: i64) -> Result<Cells, E> {
                Ok(Cells::All(Raw::Number(value as f64)))
            }
            fn visit_u64<E>(self, value: u64) -> Result<Cells, E> {
                Ok(Cells::All(Raw::Number(value as f64)))
            }
            fn visit_unit<E>(self) -> Result<Cells, E> {
                Ok(Cells::None)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Cells, A::Error> {
                let mut cells = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(cell) = seq.next_element()? {
                    cells.push(cell);
                }
                Ok(Cells::Dense(cells))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cells, A::Error> {
                let mut cells = HashMap::new();
                while let Some((position, cell)) = map.next_entry::<String, Raw>()? {
                    let position = position.parse().map_err(|_| {
                        de::Error::custom(format!("cell position {position:?} is not a number"))
                    })?;
                    cells.insert(position, cell);
                }
                Ok(Cells::Sparse(cells))
            }
        }
        deserializer.deserialize_any(CellsVisitor)
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Index {
    Ids(Vec<String>),
    Positions(HashMap<String, usize>),
}

#[derive(Deserialize)]
struct Category {
    index: Option<Index>,
    #[serde(default)]
    label: HashMap<String, String>,
}

#[derive(Deserialize)]
struct Dimension {
    category: Category,
}

#[derive(Deserialize, Default)]
struct Roles {
    #[serde(default)]
    time: Vec<String>,
    #[serde(default)]
    geo: Vec<String>,
    #[serde(default)]
    metric: Vec<String>,
}

/// The dimensions of a JSON-stat 1.x dataset: `id`, `size` and `role` sit inside `dimension`,
/// beside the dimensions themselves.
#[derive(Default)]
struct Dimensions1 {
    id: Vec<String>,
    size: Vec<usize>,
    role: Roles,
    dimensions: HashMap<String, Dimension>,
}

impl<'de> Deserialize<'de> for Dimensions1 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DimensionsVisitor;
        impl<'de> Visitor<'de> for DimensionsVisitor {
            type Value = Dimensions1;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON-stat 1.x dimension object (id, size, role and the dimensions)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Dimensions1, A::Error> {
                let mut dimensions = Dimensions1::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "id" => dimensions.id = map.next_value()?,
                        "size" => dimensions.size = map.next_value()?,
                        "role" => dimensions.role = map.next_value()?,
                        _ => {
                            let dimension = map.next_value()?;
                            dimensions.dimensions.insert(key, dimension);
                        }
                    }
                }
                Ok(dimensions)
            }
        }
        deserializer.deserialize_map(DimensionsVisitor)
    }
}

/// One dataset of a JSON-stat 1.x bundle.
struct Dataset1 {
    dimension: Dimensions1,
    value: Cells,
    status: Cells,
}

/// A member of a document that is not one of JSON-stat 2.0's own: in a 1.x bundle a dataset (an
/// object with a `dimension`), anything else (a 2.0 dataset's `label`, `extension`, `link`) is
/// passed over without being kept.
struct Member(Option<Dataset1>);

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MemberVisitor;
        impl<'de> Visitor<'de> for MemberVisitor {
            type Value = Member;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Member, E> {
                Ok(Member(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Member, E> {
                Ok(Member(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Member, E> {
                Ok(Member(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Member, E> {
                Ok(Member(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Member, E> {
                Ok(Member(None))
            }
            fn visit_unit<E>(self) -> Result<Member, E> {
                Ok(Member(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Member, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(Member(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Member, A::Error> {
                let mut dimension = None;
                let mut value = Cells::None;
                let mut status = Cells::None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "dimension" => dimension = Some(map.next_value()?),
                        "value" => value = map.next_value()?,
                        "status" => status = map.next_value()?,
                        _ => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(Member(dimension.map(|dimension| Dataset1 {
                    dimension,
                    value,
                    status,
                })))
            }
        }
        deserializer.deserialize_any(MemberVisitor)
    }
}

/// A JSON-stat document read in one pass: a 2.0 dataset (with `class` and `version`), or a 1.x
/// bundle (an object of named datasets). Either way the cells are read once, into [`Cells`].
#[derive(Default)]
struct Document {
    class: Option<String>,
    version: Option<String>,
    id: Option<Vec<String>>,
    size: Option<Vec<usize>>,
    dimension: Option<HashMap<String, Dimension>>,
    value: Cells,
    status: Cells,
    role: Roles,
    /// The datasets of a 1.x bundle, in the file's order.
    bundle: Vec<(String, Dataset1)>,
}

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DocumentVisitor;
        impl<'de> Visitor<'de> for DocumentVisitor {
            type Value = Document;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON-stat 2.0 dataset or a JSON-stat 1.x bundle (a JSON object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Document, A::Error> {
                let mut document = Document::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "class" => document.class = map.next_value()?,
                        "version" => document.version = map.next_value()?,
                        "id" => document.id = map.next_value()?,
                        "size" => document.size = map.next_value()?,
                        "dimension" => document.dimension = map.next_value()?,
                        "value" => document.value = map.next_value()?,
                        "status" => document.status = map.next_value()?,
                        "role" => document.role = map.next_value()?,
                        _ => {
                            if let Member(Some(dataset)) = map.next_value()? {
                                document.bundle.push((key, dataset));
                            }
                        }
                    }
                }
                Ok(document)
            }
        }
        deserializer.deserialize_map(DocumentVisitor)
    }
}

/// A dimension's categories by position.
struct Axis {
    id: String,
    categories: Vec<String>,
}

fn axis(id: &str, size: usize, dimension: Dimension) -> Result<Axis, ImportError> {
    let invalid = |reason: String| ImportError::Format(format!("dimension {id:?}: {reason}"));
    let categories = match dimension.category.index {
        Some(Index::Ids(ids)) => ids,
        Some(Index::Positions(positions)) => {
            let mut ids = vec![None; positions.len()];
            for (category, position) in positions {
                let slot = ids
                    .get_mut(position)
                    .ok_or_else(|| invalid(format!("position {position} is out of range")))?;
                *slot = Some(category);
            }
            ids.into_iter()
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| invalid("the index leaves a position empty".into()))?
        }
        None if dimension.category.label.len() == 1 => {
            dimension.category.label.into_keys().collect()
        }
        None => return Err(invalid("it has no category index".into())),
    };
    if categories.len() != size {
        return Err(invalid(format!(
            "it has {} categories, but size says {size}",
            categories.len()
        )));
    }
    Ok(Axis {
        id: id.to_owned(),
        categories,
    })
}

/// The records of a JSON-stat file: the cells of its dataset, or of each dataset of a 1.x bundle
/// in turn, one [`Record`] (or the problem with it) at a time.
pub struct JsonStatRecords {
    cubes: std::vec::IntoIter<Cube>,
    current: Option<Cube>,
}

/// One dataset's cube: its axes, which of them is which, and its cells.
struct Cube {
    /// The dataset's name in a 1.x bundle, shown in locations.
    name: Option<String>,
    axes: Vec<Axis>,
    geo: usize,
    time: usize,
    metric: usize,
    value: Cells,
    status: Cells,
    positions: Positions,
}

/// The positions still to read: every cell of a dense `value`, or only those a sparse one (or a
/// sparse `status`) gives: a cell a sparse dataset leaves out is absent, not missing.
enum Positions {
    All(std::ops::Range<usize>),
    Listed(std::vec::IntoIter<usize>),
}

impl Iterator for Positions {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        match self {
            Self::All(range) => range.next(),
            Self::Listed(listed) => listed.next(),
        }
    }
}

/// What a cube is made of, as a 2.0 dataset or a 1.x bundle's dataset gives it.
struct Parts {
    name: Option<String>,
    id: Vec<String>,
    size: Vec<usize>,
    dimensions: HashMap<String, Dimension>,
    role: Roles,
    value: Cells,
    status: Cells,
}

impl JsonStatRecords {
    /// Reads the dataset, or the bundle's datasets, from `input`, decoded text (JSON-stat is
    /// UTF-8, but a file saved with a byte-order mark or as UTF-16 is read too). A document with
    /// `class` is read as JSON-stat 2.0 (a `dataset` of `version` 2.x); one without as a 1.x
    /// bundle, every dataset of which is read.
    pub fn new(input: impl Read) -> Result<Self, ImportError> {
        let document: Document = serde_json::from_reader(input).map_err(|error| {
            ImportError::Format(format!(
                "not a JSON-stat dataset (2.0) or bundle (1.x): {error}"
            ))
        })?;
        let parts = if document.class.is_some() || document.version.is_some() {
            if document.class.as_deref() != Some("dataset")
                || !document
                    .version
                    .as_deref()
                    .is_some_and(|v| v.starts_with('2'))
            {
                return Err(ImportError::Format(format!(
                    "not a JSON-stat 2.0 dataset (class \"dataset\", version \"2.0\"): class is \
                     {:?} and version {:?}; a JSON-stat 1.x bundle has neither",
                    document.class.unwrap_or_default(),
                    document.version.unwrap_or_default()
                )));
            }
            let missing = |name: &str| {
                ImportError::Format(format!("the JSON-stat 2.0 dataset has no {name:?}"))
            };
            vec![Parts {
                name: None,
                id: document.id.ok_or_else(|| missing("id"))?,
                size: document.size.ok_or_else(|| missing("size"))?,
                dimensions: document.dimension.ok_or_else(|| missing("dimension"))?,
                role: document.role,
                value: document.value,
                status: document.status,
            }]
        } else {
            if document.bundle.is_empty() {
                return Err(ImportError::Format(
                    "neither a JSON-stat 2.0 dataset (class \"dataset\", version \"2.0\") nor a \
                     JSON-stat 1.x bundle (an object of named datasets, each with a dimension)"
                        .into(),
                ));
            }
            document
                .bundle
                .into_iter()
                .map(|(name, dataset)| Parts {
                    name: Some(name),
                    id: dataset.dimension.id,
                    size: dataset.dimension.size,
                    dimensions: dataset.dimension.dimensions,
                    role: dataset.dimension.role,
                    value: dataset.value,
                    status: dataset.status,
                })
                .collect()
        };
        let cubes = parts
            .into_iter()
            .map(Cube::new)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            cubes: cubes.into_iter(),
            current: None,
        })
    }
}

impl Cube {
    fn new(parts: Parts) -> Result<Self, ImportError> {
        let Parts {
            name,
            id,
            size,
            mut dimensions,
            role,
            value,
            status,
        } = parts;
        let format = |reason: String| {
            ImportError::Format(match &name {
                Some(name) => format!("dataset {name:?}: {reason}"),
                None => reason,
            })
        };
        if id.len() != size.len() {
            return Err(format(format!(
                "id names {} dimensions, but size gives {}",
                id.len(),
                size.len()
            )));
        }
        let axes = id
            .iter()
            .zip(&size)
            .map(|(id, &size)| {
                let dimension = dimensions.remove(id).ok_or_else(|| {
                    format(format!("dimension {id:?} is named in id but not given"))
                })?;
                axis(id, size, dimension).map_err(|error| format(error.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let find =
            |role: &[String], fallback: &str| {
                let wanted = role.first().map_or(fallback, String::as_str);
                axes.iter().position(|axis| axis.id == wanted).ok_or_else(|| {
                format(format!(
                    "no dimension {wanted:?}: name the dimensions in role.geo, role.time and \
                     role.metric, or call them Region, Tid and ContentsCode"
                ))
            })
            };
        let geo = find(&role.geo, "Region")?;
        let time = find(&role.time, "Tid")?;
        let metric = find(&role.metric, "ContentsCode")?;
        let total: usize = size.iter().product();
        // A single value stands for a dataset of one cell; a status given once (a string, or an
        // array of one) is every cell's.
        let value = match value {
            Cells::All(raw) => Cells::Dense(vec![raw]),
            value => value,
        };
        let status = match status {
            Cells::Dense(mut statuses) if statuses.len() == 1 && total != 1 => {
                Cells::All(statuses.remove(0))
            }
            status => status,
        };
        let positions = match (&value, &status) {
            (Cells::Dense(cells), _) if cells.len() != total => {
                return Err(format(format!(
                    "value has {} cells, but the dimensions' sizes make {total}",
                    cells.len()
                )));
            }
            (Cells::Sparse(values), status) => {
                let mut positions: Vec<usize> = values.keys().copied().collect();
                if let Cells::Sparse(statuses) = status {
                    positions.extend(statuses.keys().filter(|key| !values.contains_key(key)));
                }
                positions.sort_unstable();
                if let Some(last) = positions.last().filter(|last| **last >= total) {
                    return Err(format(format!(
                        "cell {last} is beyond the {total} cells the dimensions' sizes make"
                    )));
                }
                Positions::Listed(positions.into_iter())
            }
            _ => Positions::All(0..total),
        };
        Ok(Self {
            name,
            axes,
            geo,
            time,
            metric,
            value,
            status,
            positions,
        })
    }

    /// The record of the cell at `position`, or why there is none.
    fn record(&self, position: usize) -> Result<Record, Issue> {
        let mut categories = vec![0; self.axes.len()];
        let mut rest = position;
        for (index, axis) in self.axes.iter().enumerate().rev() {
            categories[index] = rest % axis.categories.len();
            rest /= axis.categories.len();
        }
        let category = |index: usize| self.axes[index].categories[categories[index]].as_str();
        let labels: Vec<String> = self
            .axes
            .iter()
            .enumerate()
            .map(|(index, axis)| format!("{}={}", axis.id, category(index)))
            .collect();
        let location = Location::Cell {
            position,
            labels: match &self.name {
                Some(name) => format!("dataset {name}: {}", labels.join(", ")),
                None => labels.join(", "),
            },
        };
        let group: Vec<&str> = labels
            .iter()
            .enumerate()
            .filter(|(index, _)| ![self.geo, self.time, self.metric].contains(index))
            .map(|(_, label)| label.as_str())
            .collect();
        let problem = |reason: String| {
            Err(Issue::Problem(Problem {
                location: location.clone(),
                reason,
            }))
        };
        let marker = |raw: &Raw| match raw {
            Raw::Text(text) if matches!(&**text, ":" | ".." | "..." | ".") => Some(text.clone()),
            _ => None,
        };
        let value = self.value.get(position);
        let status = self.status.get(position);
        let cell = match (marker(status).or_else(|| marker(value)), value) {
            (Some(mark), Raw::Number(_)) => {
                return problem(format!("a value is given for a cell marked {mark:?}"));
            }
            (Some(mark), _) => match &*mark {
                ":" => Cell::Suppressed,
                "." => return Err(Issue::Skipped),
                _ => Cell::Missing,
            },
            (None, Raw::Null) => Cell::Missing,
            (None, Raw::Number(number)) => Cell::Value(*number),
            (None, Raw::Text(text)) => match parse_number(text) {
                Ok(number) => Cell::Value(number),
                Err(reason) => return problem(format!("value {text:?} is malformed: {reason}")),
            },
        };
        Ok(Record {
            location: location.clone(),
            subject: category(self.geo).to_owned(),
            indicator: category(self.metric).to_owned(),
            period: category(self.time).to_owned(),
            group: group.join(";"),
            school_name: None,
            cell,
            n: None,
        })
    }
}

impl Iterator for JsonStatRecords {
    type Item = Result<Record, Issue>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(cube) = &mut self.current
                && let Some(position) = cube.positions.next()
            {
                return Some(cube.record(position));
            }
            self.current = Some(self.cubes.next()?);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(json: &str) -> Vec<Result<Record, String>> {
        JsonStatRecords::new(json.as_bytes())
            .unwrap()
            .map(|item| item.map_err(|issue| issue.to_string()))
            .collect()
    }

    const DENSE: &str = r#"{"version":"2.0","class":"dataset",
        "id":["ContentsCode","Region","Tid"],"size":[1,2,2],
        "role":{"time":["Tid"],"geo":["Region"],"metric":["ContentsCode"]},
        "dimension":{
          "Tid":{"category":{"index":["2024","2025"]}},
          "Region":{"category":{"index":{"3303":0,"EAK":1},"label":{"3303":"Kongsberg","EAK":"Landet"}}},
          "ContentsCode":{"category":{"label":{"KOSTRA1":"Andel"}}}},
        "value":[12.5,null,"13,5",14],
        "status":{"1":":"}}"#;

    #[test]
    fn cells_are_read_in_row_major_order_with_their_categories() {
        let records: Vec<Record> = records(DENSE).into_iter().map(Result::unwrap).collect();
        let seen: Vec<(&str, &str, &str, &Cell)> = records
            .iter()
            .map(|r| {
                (
                    r.indicator.as_str(),
                    r.subject.as_str(),
                    r.period.as_str(),
                    &r.cell,
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("KOSTRA1", "3303", "2024", &Cell::Value(12.5)),
                ("KOSTRA1", "3303", "2025", &Cell::Suppressed),
                ("KOSTRA1", "EAK", "2024", &Cell::Value(13.5)),
                ("KOSTRA1", "EAK", "2025", &Cell::Value(14.0)),
            ]
        );
        assert_eq!(
            records[1].location.to_string(),
            "cell 1 (ContentsCode=KOSTRA1, Region=3303, Tid=2025)"
        );
    }

    #[test]
    fn sparse_values_single_status_and_other_dimensions_as_groups() {
        let json = r#"{"version":"2.0","class":"dataset",
            "id":["Region","Kjonn","Tid","ContentsCode"],"size":[1,2,1,1],
            "dimension":{
              "Region":{"category":{"index":["3303"]}},
              "Kjonn":{"category":{"index":["1","2"]}},
              "Tid":{"category":{"index":["2025"]}},
              "ContentsCode":{"category":{"index":["KOSTRA1"]}}},
            "value":{"1":7},
            "status":"p"}"#;
        let records: Vec<Record> = records(json).into_iter().map(Result::unwrap).collect();
        assert_eq!(
            records.len(),
            1,
            "the cell the sparse value leaves out is absent"
        );
        assert_eq!(records[0].group, "Kjonn=2");
        assert_eq!(records[0].cell, Cell::Value(7.0));
    }

    #[test]
    fn markers_are_kept_apart_and_a_value_under_a_marker_is_a_problem() {
        let json = DENSE
            .replace(
                r#""value":[12.5,null,"13,5",14]"#,
                r#""value":[12.5,3,null,"x"]"#,
            )
            .replace(r#""status":{"1":":"}"#, r#""status":[null,":","."," "]"#);
        let results = records(&json);
        assert_eq!(results.len(), 4);
        let error = |index: usize| results[index].clone().unwrap_err();
        assert!(error(1).contains("a value is given for a cell marked \":\""));
        assert_eq!(error(2), "skipped", "the cell marked . is no record");
        assert!(error(3).contains("value \"x\" is malformed"));
        let missing = DENSE.replace(r#""status":{"1":":"}"#, r#""status":{"0":"..","3":"..."}"#);
        let missing = missing.replace(
            r#""value":[12.5,null,"13,5",14]"#,
            r#""value":[null,null,null,null]"#,
        );
        assert!(
            records(&missing)
                .iter()
                .all(|r| r.as_ref().unwrap().cell == Cell::Missing)
        );
    }

    #[test]
    fn a_file_that_is_not_a_json_stat_2_dataset_is_refused() {
        let error = |json: &str| {
            JsonStatRecords::new(json.as_bytes())
                .err()
                .unwrap()
                .to_string()
        };
        assert!(error(r#"{"label":"x","note":["y"]}"#).contains("nor a JSON-stat 1.x bundle"));
        assert!(error(r#"{"class":"dataset","version":"1.0"}"#).contains("version \"1.0\""));
        assert!(error("[1,2").contains("not a JSON-stat dataset (2.0) or bundle (1.x)"));
        let wrong_size = DENSE.replace(r#""size":[1,2,2]"#, r#""size":[1,3,2]"#);
        assert!(error(&wrong_size).contains("size says 3"));
        let short = DENSE.replace(r#"null,"13,5",14]"#, r#"null,"13,5"]"#);
        assert!(error(&short).contains("value has 3 cells, but the dimensions' sizes make 4"));
        let beyond = DENSE.replace(r#""value":[12.5,null,"13,5",14]"#, r#""value":{"4":1}"#);
        assert!(error(&beyond).contains("cell 4 is beyond the 4 cells"));
    }

    /// The DENSE dataset as a JSON-stat 1.x bundle: `id`, `size` and `role` inside `dimension`,
    /// the dimensions in another order, `value` sparse, beside a second dataset.
    const BUNDLE: &str = r#"{
        "kostra": {"label":"Andel","source":"SSB","updated":"2026-06-15",
          "dimension":{
            "id":["Tid","Region","ContentsCode"],"size":[2,2,1],
            "role":{"time":["Tid"],"geo":["Region"],"metric":["ContentsCode"]},
            "Tid":{"category":{"index":{"2024":0,"2025":1}}},
            "Region":{"category":{"index":["3303","EAK"],"label":{"3303":"Kongsberg","EAK":"Landet"}}},
            "ContentsCode":{"category":{"label":{"KOSTRA1":"Andel"}}}},
          "value":{"0":12.5,"1":"13,5","3":14},
          "status":{"2":":"}},
        "kroner": {"dimension":{
            "id":["Region","Tid","ContentsCode"],"size":[1,1,1],
            "Region":{"category":{"index":["3303"]}},
            "Tid":{"category":{"index":["2025"]}},
            "ContentsCode":{"category":{"index":["KOSTRA2"]}}},
          "value":"3 105","status":["p"]}}"#;

    #[test]
    fn a_json_stat_1_bundle_gives_the_same_records_as_2_0_for_every_dataset() {
        let cells = |json: &str| {
            let mut cells: Vec<(String, String, String, Cell)> = records(json)
                .into_iter()
                .map(Result::unwrap)
                .map(|r| (r.indicator, r.subject, r.period, r.cell))
                .collect();
            cells.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
            cells
        };
        let bundle = cells(BUNDLE);
        let mut expected = cells(DENSE);
        expected.push((
            "KOSTRA2".into(),
            "3303".into(),
            "2025".into(),
            Cell::Value(3105.0),
        ));
        expected.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        assert_eq!(bundle, expected);
        let located: Vec<String> = records(BUNDLE)
            .into_iter()
            .map(|r| r.unwrap().location.to_string())
            .collect();
        assert_eq!(
            located[1],
            "cell 1 (dataset kostra: Tid=2024, Region=EAK, ContentsCode=KOSTRA1)"
        );
        assert_eq!(
            located[4],
            "cell 0 (dataset kroner: Region=3303, Tid=2025, ContentsCode=KOSTRA2)"
        );
    }

    #[test]
    fn a_status_given_once_is_every_cells_and_a_bad_bundle_dataset_is_named() {
        let all_suppressed = DENSE
            .replace(
                r#""value":[12.5,null,"13,5",14]"#,
                r#""value":[null,null,null,null]"#,
            )
            .replace(r#""status":{"1":":"}"#, r#""status":[":"]"#);
        assert!(
            records(&all_suppressed)
                .iter()
                .all(|r| r.as_ref().unwrap().cell == Cell::Suppressed)
        );
        let error = JsonStatRecords::new(
            BUNDLE
                .replace(r#""size":[1,1,1]"#, r#""size":[1,1]"#)
                .as_bytes(),
        )
        .err()
        .unwrap()
        .to_string();
        assert_eq!(
            error,
            "dataset \"kroner\": id names 3 dimensions, but size gives 2"
        );
        let two_values = BUNDLE.replace(r#""value":"3 105""#, r#""value":[1,2]"#);
        let error = JsonStatRecords::new(two_values.as_bytes())
            .err()
            .unwrap()
            .to_string();
        assert!(
            error.contains("value has 2 cells, but the dimensions' sizes make 1"),
            "{error}"
        );
    }
}

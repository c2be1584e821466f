//! JSON-stat 2.0 datasets (<https://json-stat.org/format/>), as SSB's statistics API returns them.
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

/// Cells given as an array (dense), an object from position to cell (sparse), or, for `status`,
/// one string for every cell.
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

#[derive(Deserialize)]
struct Dataset {
    class: Option<String>,
    version: Option<String>,
    id: Vec<String>,
    size: Vec<usize>,
    dimension: HashMap<String, Dimension>,
    #[serde(default)]
    value: Cells,
    #[serde(default)]
    status: Cells,
    #[serde(default)]
    role: Roles,
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

/// The cells of a dataset, one [`Record`] (or the problem with it) at a time.
pub struct JsonStatRecords {
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

impl JsonStatRecords {
    /// Reads the dataset from `input`, decoded text (JSON-stat is UTF-8, but a file saved with a
    /// byte-order mark or as UTF-16 is read too).
    pub fn new(input: impl Read) -> Result<Self, ImportError> {
        let dataset: Dataset = serde_json::from_reader(input)
            .map_err(|error| ImportError::Format(format!("not a JSON-stat dataset: {error}")))?;
        if dataset.class.as_deref() != Some("dataset")
            || !dataset
                .version
                .as_deref()
                .is_some_and(|v| v.starts_with('2'))
        {
            return Err(ImportError::Format(
                "not a JSON-stat 2.0 dataset (class \"dataset\", version \"2.0\"); JSON-stat 1.x \
                 bundles are not read yet"
                    .into(),
            ));
        }
        if dataset.id.len() != dataset.size.len() {
            return Err(ImportError::Format(format!(
                "id names {} dimensions, but size gives {}",
                dataset.id.len(),
                dataset.size.len()
            )));
        }
        let mut dimensions = dataset.dimension;
        let axes = dataset
            .id
            .iter()
            .zip(&dataset.size)
            .map(|(id, &size)| {
                let dimension = dimensions.remove(id).ok_or_else(|| {
                    ImportError::Format(format!("dimension {id:?} is named in id but not given"))
                })?;
                axis(id, size, dimension)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let find = |role: &[String], fallback: &str| {
            let name = role.first().map_or(fallback, String::as_str);
            axes.iter().position(|axis| axis.id == name).ok_or_else(|| {
                ImportError::Format(format!(
                    "no dimension {name:?}: name the dimensions in role.geo, role.time and \
                     role.metric, or call them Region, Tid and ContentsCode"
                ))
            })
        };
        let geo = find(&dataset.role.geo, "Region")?;
        let time = find(&dataset.role.time, "Tid")?;
        let metric = find(&dataset.role.metric, "ContentsCode")?;
        let total: usize = dataset.size.iter().product();
        let positions = match (&dataset.value, &dataset.status) {
            (Cells::Dense(cells), _) if cells.len() != total => {
                return Err(ImportError::Format(format!(
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
                    return Err(ImportError::Format(format!(
                        "cell {last} is beyond the {total} cells the dimensions' sizes make"
                    )));
                }
                Positions::Listed(positions.into_iter())
            }
            _ => Positions::All(0..total),
        };
        Ok(Self {
            axes,
            geo,
            time,
            metric,
            value: dataset.value,
            status: dataset.status,
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
            labels: labels.join(", "),
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
            cell,
            n: None,
        })
    }
}

impl Iterator for JsonStatRecords {
    type Item = Result<Record, Issue>;

    fn next(&mut self) -> Option<Self::Item> {
        let position = self.positions.next()?;
        Some(self.record(position))
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
        assert!(error(r#"{"dataset":{"dimension":{}}}"#).contains("JSON-stat"));
        assert!(error("[1,2").contains("not a JSON-stat dataset"));
        let wrong_size = DENSE.replace(r#""size":[1,2,2]"#, r#""size":[1,3,2]"#);
        assert!(error(&wrong_size).contains("size says 3"));
        let short = DENSE.replace(r#"null,"13,5",14]"#, r#"null,"13,5"]"#);
        assert!(error(&short).contains("value has 3 cells, but the dimensions' sizes make 4"));
        let beyond = DENSE.replace(r#""value":[12.5,null,"13,5",14]"#, r#""value":{"4":1}"#);
        assert!(error(&beyond).contains("cell 4 is beyond the 4 cells"));
    }
}

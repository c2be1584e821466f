//! A national-scale data set for the benchmark (issue 15): every kommune, thousands of schools,
//! kindergartens and kulturskoler, ten school years and millions of indicator values.
//!
//! The data is generated, deterministic (a seeded splitmix64; the same [`Scale`] and seed give the
//! same rows) and written with the demo seeds' own loader ([`crate::store::Store::load_seed`]).
//! The data sources and 45 indicators are the demo's (`seeds/`); 15 kindergarten indicators
//! (Foreldreundersøkelsen i barnehage, Barnehagefakta) are added, so about 60 in all.
//! Kommunenummer are the real 2024 numbers for the kommuner listed in `KNOWN_KOMMUNER` and
//! invented beyond (`CC71`-`CC99` in each fylke). Values follow the demo's sources: Udir's
//! Elevundersøkelsen by trinn and kjønn, nasjonale prøver and grunnskolepoeng by kjønn, each
//! suppressed at the source below its threshold (and the other kjønn half with it), with
//! published owner and national values; the kulturskole surveys as raw per-unit values that Varde
//! suppresses itself; GSI counts and KOSTRA shares. Nothing in it describes a real unit.

use std::collections::{HashMap, HashSet};

use anyhow::Result;
use chrono::{TimeZone, Utc};

use crate::{
    domain::{
        ColourMode, ColourRule, CountyNumber, CriterionLink, Direction, IndicatorCategory,
        InitiativeContent, InitiativeStatus, Judgement, Level as AssessedLevel, OrgNumber,
        OwnerKind, RoleKind, SchoolStage, SchoolYear, Sensitivity, Target, UnitKind, UnitOfMeasure,
        ValueGroup,
    },
    seed,
    store::{
        SeedAssessment, SeedAssessmentKey, SeedCounty, SeedData, SeedDataSource, SeedEvaluation,
        SeedFramework, SeedIndicator, SeedInitiative, SeedOwner, SeedOwnerCode, SeedRoleAssignment,
        SeedSelection, SeedSubject, SeedUnit, SeedValue,
    },
};

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    pub kommuner: usize,
    /// Grunnskoler and videregående skoler together.
    pub schools: usize,
    pub kindergartens: usize,
    pub arts_schools: usize,
    /// School years, ending with 2025-26.
    pub years: i32,
}

impl Scale {
    /// The real country's size (issue 15): several million values.
    pub const NATIONAL: Scale = Scale {
        kommuner: 357,
        schools: 2_800,
        kindergartens: 5_500,
        arts_schools: 350,
        years: 10,
    };

    /// A few thousand values, for the benchmark's smoke run in CI.
    pub const SMOKE: Scale = Scale {
        kommuner: 12,
        schools: 60,
        kindergartens: 40,
        arts_schools: 14,
        years: 5,
    };

    /// `national` or `smoke`.
    pub fn named(name: &str) -> Option<Scale> {
        match name {
            "national" => Some(Self::NATIONAL),
            "smoke" => Some(Self::SMOKE),
            _ => None,
        }
    }
}

/// The last school year generated (2025-26).
const LAST_YEAR: i32 = 2025;

/// Fylker from 1 January 2024: number and name.
const COUNTIES: [(&str, &str); 15] = [
    ("03", "Oslo"),
    ("11", "Rogaland"),
    ("15", "Møre og Romsdal"),
    ("18", "Nordland"),
    ("31", "Østfold"),
    ("32", "Akershus"),
    ("33", "Buskerud"),
    ("34", "Innlandet"),
    ("39", "Vestfold"),
    ("40", "Telemark"),
    ("42", "Agder"),
    ("46", "Vestland"),
    ("50", "Trøndelag"),
    ("55", "Troms"),
    ("56", "Finnmark"),
];

/// Real kommuner (2024 numbers) with a rounded population, largest first.
const KNOWN_KOMMUNER: [(&str, &str, u32); 33] = [
    ("0301", "Oslo", 709_000),
    ("4601", "Bergen", 291_000),
    ("5001", "Trondheim", 214_000),
    ("1103", "Stavanger", 148_000),
    ("3201", "Bærum", 130_000),
    ("4204", "Kristiansand", 117_000),
    ("3301", "Drammen", 104_000),
    ("3203", "Asker", 98_000),
    ("3205", "Lillestrøm", 90_000),
    ("3107", "Fredrikstad", 84_000),
    ("1108", "Sandnes", 83_000),
    ("5501", "Tromsø", 78_000),
    ("3907", "Sandefjord", 65_000),
    ("3105", "Sarpsborg", 59_000),
    ("3905", "Tønsberg", 58_000),
    ("1508", "Ålesund", 58_000),
    ("4003", "Skien", 56_000),
    ("1804", "Bodø", 53_000),
    ("3103", "Moss", 50_000),
    ("3909", "Larvik", 48_000),
    ("4203", "Arendal", 46_000),
    ("1149", "Karmøy", 43_000),
    ("1106", "Haugesund", 38_000),
    ("4001", "Porsgrunn", 37_000),
    ("3411", "Ringsaker", 35_000),
    ("3403", "Hamar", 32_000),
    ("1506", "Molde", 32_000),
    ("3101", "Halden", 31_000),
    ("3407", "Gjøvik", 30_000),
    ("3405", "Lillehammer", 29_000),
    ("3303", "Kongsberg", 28_000),
    ("5503", "Harstad", 25_000),
    ("5601", "Alta", 21_000),
];

const NAME_HEADS: [&str; 24] = [
    "Nord", "Sør", "Øst", "Vest", "Elve", "Fjell", "Skog", "Berg", "Lund", "Eike", "Bjørke", "Hav",
    "Sjø", "Myr", "Li", "Ås", "Fjord", "Vik", "Strand", "Dal", "Holm", "Rype", "Furu", "Stein",
];
const NAME_TAILS: [&str; 16] = [
    "vik", "dal", "heim", "land", "bygd", "voll", "nes", "stad", "set", "haug", "li", "bakken",
    "åsen", "sund", "mo", "rud",
];

/// splitmix64: small, fast and good enough for plausible data; deterministic by seed.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1_u64 << 53) as f64
    }

    fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Standard normal (Box-Muller).
    fn normal(&mut self) -> f64 {
        let u = self.unit().max(f64::MIN_POSITIVE);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// A fresh organisasjonsnummer (valid mod-11 check digit, starting with 8 or 9), never used before.
fn org_number(rng: &mut Rng, used: &mut HashSet<u64>) -> OrgNumber {
    const WEIGHTS: [u64; 8] = [3, 2, 7, 6, 5, 4, 3, 2];
    loop {
        let first8 = 80_000_000 + rng.next_u64() % 20_000_000;
        let digits: Vec<u64> = first8
            .to_string()
            .bytes()
            .map(|b| u64::from(b - b'0'))
            .collect();
        let sum: u64 = digits.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            10 => continue,
            digit => digit,
        };
        let number = first8 * 10 + check;
        if used.insert(number) {
            return OrgNumber::parse(&number.to_string()).expect("a valid organisasjonsnummer");
        }
    }
}

fn place_name(rng: &mut Rng) -> String {
    format!(
        "{}{}",
        NAME_HEADS[rng.below(NAME_HEADS.len())],
        NAME_TAILS[rng.below(NAME_TAILS.len())]
    )
}

/// Splits `total` over `weights`, each at least `minimum` (largest remainders).
fn allocate(total: usize, weights: &[f64], minimum: usize) -> Vec<usize> {
    let base = minimum * weights.len();
    let rest = total.saturating_sub(base) as f64;
    let sum: f64 = weights.iter().sum();
    let shares: Vec<f64> = weights.iter().map(|w| rest * w / sum).collect();
    let mut counts: Vec<usize> = shares.iter().map(|s| minimum + *s as usize).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| (shares[*b].fract()).total_cmp(&shares[*a].fract()));
    let mut missing = total.saturating_sub(counts.iter().sum());
    for index in order.into_iter().cycle() {
        if missing == 0 {
            break;
        }
        counts[index] += 1;
        missing -= 1;
    }
    counts
}

/// How a generated unit's values vary.
struct Unit {
    org: OrgNumber,
    owner: usize,
    kind: UnitKind,
    stage: Option<SchoolStage>,
    /// Pupils per trinn (schools), respondents (kindergarten parents), pupils (kulturskoler).
    size: f64,
}

/// The values model of one indicator: mean, spread between units, spread of one answer, bounds.
struct Model {
    mean: f64,
    unit_sd: f64,
    answer_sd: f64,
    low: f64,
    high: f64,
}

fn model(code: &str) -> Model {
    let index = |mean| Model {
        mean,
        unit_sd: 0.15,
        answer_sd: 0.8,
        low: 1.0,
        high: 5.0,
    };
    match code {
        "eu_mobbing" => Model {
            unit_sd: 0.08,
            answer_sd: 0.5,
            ..index(1.3)
        },
        c if c.starts_with("eu_") || c.starts_with("ke_") || c.starts_with("kf_") => index(4.1),
        c if c.starts_with("bhg_fu_") => index(4.4),
        c if c.starts_with("np_") => Model {
            mean: 50.0,
            unit_sd: 3.0,
            answer_sd: 10.0,
            low: 20.0,
            high: 80.0,
        },
        "grunnskolepoeng" => Model {
            mean: 42.0,
            unit_sd: 2.0,
            answer_sd: 8.0,
            low: 10.0,
            high: 60.0,
        },
        _ => Model {
            mean: 45.0,
            unit_sd: 12.0,
            answer_sd: 0.0,
            low: 1.0,
            high: 99.0,
        },
    }
}

fn round_to(value: f64, decimals: u8) -> f64 {
    let factor = 10_f64.powi(i32::from(decimals));
    (value * factor).round() / factor
}

/// Kindergarten indicators: Foreldreundersøkelsen i barnehage (indexes with respondents,
/// suppressed by Udir below 5) and Barnehagefakta (published figures without respondents).
fn kindergarten_sources() -> (Vec<SeedDataSource>, Vec<SeedIndicator>) {
    let sources = vec![
        SeedDataSource {
            code: "udir-foreldreundersokelsen-bhg".into(),
            name: "Foreldreundersøkelsen i barnehage".into(),
            publisher: "Utdanningsdirektoratet".into(),
            description:
                "Foresattes vurdering av barnehagen, indekser på skala 1-5; celler med for \
                          få svar er prikket av Udir."
                    .into(),
            sensitivity: Sensitivity::Public,
            suppression_threshold: 5,
            min_group_size: 3,
        },
        SeedDataSource {
            code: "udir-barnehagefakta".into(),
            name: "Barnehagefakta".into(),
            publisher: "Utdanningsdirektoratet".into(),
            description: "Bemanning, pedagogisk personale og barn per barnehage (BASIL).".into(),
            sensitivity: Sensitivity::Public,
            suppression_threshold: 3,
            min_group_size: 3,
        },
    ];
    let survey = [
        ("tilfredshet", "Tilfredshet"),
        ("ute_inne", "Ute- og innemiljø"),
        ("relasjon", "Relasjon mellom barn og voksne"),
        ("trivsel", "Barnets trivsel"),
        ("informasjon", "Informasjon"),
        ("utvikling", "Barnets utvikling"),
        ("medvirkning", "Medvirkning"),
        ("henting", "Henting og levering"),
        ("tilvenning", "Tilvenning"),
        ("skolestart", "Overgang til skole"),
    ];
    let indicator = |code: String, name: &str, source: &str, unit: UnitOfMeasure, decimals| {
        let index = unit == UnitOfMeasure::Index;
        SeedIndicator {
            description: format!("{name} (generert for ytelsestesten)."),
            code,
            name: name.to_owned(),
            source_code: source.to_owned(),
            category: if index {
                IndicatorCategory::Process
            } else {
                IndicatorCategory::Precondition
            },
            unit_of_measure: unit,
            direction: if index {
                Direction::HigherIsBetter
            } else {
                Direction::Neutral
            },
            decimals,
            applies_to: vec![UnitKind::Kindergarten],
            min_value: Some(if index { 1.0 } else { 0.0 }),
            max_value: index.then_some(5.0),
            colour_rule: if index {
                ColourRule {
                    mode: ColourMode::Absolute,
                    green: Some(4.5),
                    red: Some(4.1),
                    margin: None,
                }
            } else {
                ColourRule {
                    mode: ColourMode::None,
                    green: None,
                    red: None,
                    margin: None,
                }
            },
        }
    };
    let mut indicators: Vec<SeedIndicator> = survey
        .iter()
        .map(|(code, name)| {
            indicator(
                format!("bhg_fu_{code}"),
                name,
                "udir-foreldreundersokelsen-bhg",
                UnitOfMeasure::Index,
                1,
            )
        })
        .collect();
    for (code, name, unit, decimals) in [
        (
            "bhg_andel_barnehagelaerere",
            "Andel barnehagelærere",
            UnitOfMeasure::Percent,
            1,
        ),
        (
            "bhg_andel_pedagognorm",
            "Andel av pedagognormen oppfylt",
            UnitOfMeasure::Percent,
            1,
        ),
        ("bhg_antall_barn", "Antall barn", UnitOfMeasure::Count, 0),
        (
            "bhg_andel_minoritetssprak",
            "Andel minoritetsspråklige barn",
            UnitOfMeasure::Percent,
            1,
        ),
        ("bhg_arsverk", "Årsverk", UnitOfMeasure::Fte, 1),
    ] {
        indicators.push(indicator(
            code.to_owned(),
            name,
            "udir-barnehagefakta",
            unit,
            decimals,
        ));
    }
    (sources, indicators)
}

/// Sums for a published aggregate: Σ value × n and Σ n (weighted mean), or Σ value (counts).
#[derive(Default, Clone, Copy)]
struct Sums {
    weighted: f64,
    n: i64,
    total: f64,
}

/// Who a published aggregate describes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Level {
    Owner(usize),
    Nation,
}

/// Builds the data set. Deterministic for the same `scale` and `seed`.
pub fn national(scale: Scale, seed: u64) -> Result<SeedData> {
    let demo = seed::demo()?;
    let mut rng = Rng(seed);
    let mut used = HashSet::new();
    let mut data = SeedData {
        data_sources: demo.data_sources,
        indicators: demo.indicators,
        // The demo's import sources and rules, so that the benchmark can import a file.
        import_sources: demo.import_sources,
        ..SeedData::default()
    };
    let (sources, indicators) = kindergarten_sources();
    data.data_sources.extend(sources);
    data.indicators.extend(indicators);
    let first_year = LAST_YEAR + 1 - scale.years;
    data.school_years = (first_year..=LAST_YEAR)
        .map(SchoolYear::new)
        .collect::<Result<_, _>>()?;
    data.counties = COUNTIES
        .iter()
        .map(|(number, name)| {
            Ok(SeedCounty {
                number: CountyNumber::parse(number)?,
                name: (*name).to_owned(),
                valid_from: None,
                valid_to: None,
            })
        })
        .collect::<Result<_>>()?;

    // Kommuner: the known ones (as many as fit), then invented ones spread over the fylker.
    let mut kommuner: Vec<(String, String, f64)> = KNOWN_KOMMUNER
        .iter()
        .take(scale.kommuner)
        .map(|(code, name, population)| {
            (
                (*code).to_owned(),
                (*name).to_owned(),
                f64::from(*population),
            )
        })
        .collect();
    let mut names: HashSet<String> = kommuner.iter().map(|k| k.1.clone()).collect();
    let mut next_in_county = [71_u32; COUNTIES.len()];
    while kommuner.len() < scale.kommuner {
        let county = 1 + rng.below(COUNTIES.len() - 1); // Oslo is one kommune
        let number = next_in_county[county];
        if number > 99 {
            continue;
        }
        next_in_county[county] += 1;
        let name = place_name(&mut rng);
        if !names.insert(name.clone()) {
            next_in_county[county] -= 1;
            continue;
        }
        let population = (rng.uniform(7.0, 10.5)).exp().round();
        kommuner.push((format!("{}{number}", COUNTIES[county].0), name, population));
    }
    let mut owners: Vec<SeedOwner> = Vec::new();
    for (code, name, _) in &kommuner {
        let org_number = org_number(&mut rng, &mut used);
        owners.push(SeedOwner {
            kind: OwnerKind::Municipality,
            name: format!("{name} kommune"),
            org_number: org_number.clone(),
            county_number: Some(CountyNumber::parse(&code[..2])?),
        });
        data.owner_codes.push(SeedOwnerCode {
            owner: org_number,
            code: code.clone(),
            valid_from: None,
            valid_to: None,
        });
    }
    // Fylkeskommuner run the videregående skoler (Oslo kommune runs its own).
    let mut county_owner = vec![0_usize; COUNTIES.len()];
    for (index, (number, name)) in COUNTIES.iter().enumerate().skip(1) {
        let org_number = org_number(&mut rng, &mut used);
        county_owner[index] = owners.len();
        owners.push(SeedOwner {
            kind: OwnerKind::CountyMunicipality,
            name: format!("{name} fylkeskommune"),
            org_number: org_number.clone(),
            county_number: Some(CountyNumber::parse(number)?),
        });
        data.owner_codes.push(SeedOwnerCode {
            owner: org_number,
            code: (*number).to_owned(),
            valid_from: None,
            valid_to: None,
        });
    }
    let county_index = |code: &str| {
        COUNTIES
            .iter()
            .position(|(number, _)| code.starts_with(number))
            .unwrap_or(0)
    };

    // Units per kommune follow population, with small kommuner holding more per inhabitant.
    let weights: Vec<f64> = kommuner.iter().map(|k| k.2.powf(0.8)).collect();
    let upper_secondary = scale.schools / 8;
    let grunnskoler = allocate(scale.schools - upper_secondary, &weights, 1);
    let vgs = allocate(upper_secondary, &weights, 0);
    let kindergartens = allocate(scale.kindergartens, &weights, 1);
    let arts = allocate(
        scale.arts_schools,
        &weights,
        usize::from(scale.arts_schools >= scale.kommuner),
    );
    let mut units: Vec<Unit> = Vec::new();
    let mut unit_names: Vec<String> = Vec::new();
    for (k, (code, kommune, _)) in kommuner.iter().enumerate() {
        let mut add = |rng: &mut Rng, owner, kind, stage, size: f64, name: String| {
            units.push(Unit {
                org: org_number(rng, &mut used),
                owner,
                kind,
                stage,
                size,
            });
            unit_names.push(name);
        };
        for _ in 0..grunnskoler[k] {
            let stage = match rng.below(20) {
                0..=11 => SchoolStage::Primary,
                12..=14 => SchoolStage::LowerSecondary,
                _ => SchoolStage::Combined,
            };
            let size = (rng.normal() * 0.7 + 3.3).exp().clamp(3.0, 160.0);
            let suffix = if stage == SchoolStage::LowerSecondary {
                "ungdomsskole"
            } else {
                "skole"
            };
            let name = format!("{} {suffix}", place_name(&mut rng));
            add(&mut rng, k, UnitKind::School, Some(stage), size, name);
        }
        let owner = if k == 0 && code == "0301" {
            k
        } else {
            county_owner[county_index(code)]
        };
        for _ in 0..vgs[k] {
            let size = (rng.normal() * 0.5 + 5.8).exp().clamp(60.0, 2000.0);
            let name = format!("{} videregående skole", place_name(&mut rng));
            let stage = Some(SchoolStage::UpperSecondary);
            add(&mut rng, owner, UnitKind::School, stage, size, name);
        }
        for _ in 0..kindergartens[k] {
            let size = (rng.normal() * 0.6 + 3.2).exp().clamp(2.0, 150.0);
            let name = format!("{} barnehage", place_name(&mut rng));
            add(&mut rng, k, UnitKind::Kindergarten, None, size, name);
        }
        for index in 0..arts[k] {
            let size = (rng.normal() * 0.8 + 5.0).exp().clamp(20.0, 4000.0);
            let name = if index == 0 {
                format!("{kommune} kulturskole")
            } else {
                format!("{kommune} kulturskole, {}", place_name(&mut rng))
            };
            add(&mut rng, k, UnitKind::ArtsSchool, None, size, name);
        }
    }
    data.units = units
        .iter()
        .zip(unit_names)
        .map(|(unit, name)| SeedUnit {
            org_number: unit.org.clone(),
            name,
            kind: unit.kind,
            stage: unit.stage,
            owner: owners[unit.owner].org_number.clone(),
            active_from: None,
            active_to: None,
        })
        .collect();

    data.owners = owners;
    data.values = values(&data, &units, &mut rng)?;
    quality_work(&mut data, demo.frameworks, &units, &mut rng)?;
    // An utvalg per kommune and year for its schools, as PULS keeps them.
    for (k, owner) in data.owners.iter().enumerate().take(kommuner.len()) {
        let members: Vec<OrgNumber> = units
            .iter()
            .filter(|u| u.owner == k && u.kind == UnitKind::School)
            .map(|u| u.org.clone())
            .collect();
        if members.is_empty() {
            continue;
        }
        data.selections.push(SeedSelection {
            name: format!(
                "{} ({})",
                owner.name,
                SchoolYear::new(LAST_YEAR - 1)?.label()
            ),
            school_year: SchoolYear::new(LAST_YEAR - 1)?,
            scope: crate::domain::SelectionScope::Owner,
            owner: Some(owner.org_number.clone()),
            last_updated: Utc
                .with_ymd_and_hms(LAST_YEAR, 6, 1, 8, 0, 0)
                .single()
                .expect("a valid time"),
            members,
        });
    }
    data.role_assignments = vec![
        SeedRoleAssignment {
            feide_user_id: "admin@varde.example".into(),
            role: RoleKind::NationalAdmin,
            owner: None,
            unit: None,
        },
        SeedRoleAssignment {
            feide_user_id: "analytiker@kulturskoleradet.no".into(),
            role: RoleKind::NationalReader,
            owner: None,
            unit: None,
        },
        // The unit page (workload c) reads a school's assessments and initiatives, which only
        // the unit's and its owner's roles may.
        SeedRoleAssignment {
            feide_user_id: OWNER_READER.into(),
            role: RoleKind::OwnerReader,
            owner: Some(data.owners[0].org_number.clone()),
            unit: None,
        },
    ];
    Ok(data)
}

/// The owner reader of the first (largest) kommune, who reads the unit page of workload (c).
pub const OWNER_READER: &str = "radgiver@kommune0.example";

/// Years of quality work (self-assessments and tiltak) before and including [`LAST_YEAR`].
const QUALITY_YEARS: i32 = 3;

/// Self-assessments and initiatives, as the quality and initiatives issues keep them: every
/// school and kulturskole assesses itself against its framework (the demo's national kulturskole
/// framework; the demo's school framework, made national) on most criteria in each of the last
/// [`QUALITY_YEARS`] school years; every kommune runs one owner initiative, and about a third of
/// its schools a tiltak of their own under it, with a progress evaluation.
fn quality_work(
    data: &mut SeedData,
    frameworks: Vec<SeedFramework>,
    units: &[Unit],
    rng: &mut Rng,
) -> Result<()> {
    data.frameworks = frameworks
        .into_iter()
        .map(|mut framework| {
            if framework.owner.is_some() {
                framework.code = "skole".into();
                framework.owner = None;
                framework.content.name = "Kvalitetskjennetegn for skolen".into();
            }
            framework
        })
        .collect();
    let at = |year: i32, month: u32, day: u32| {
        Utc.with_ymd_and_hms(year, month, day, 12, 0, 0)
            .single()
            .expect("a valid time")
    };
    for unit in units {
        let Some(framework) = data.frameworks.iter().find(|framework| {
            framework
                .content
                .unit_kinds
                .iter()
                .any(|kind| kind == unit.kind.as_str())
        }) else {
            continue;
        };
        for year in LAST_YEAR + 1 - QUALITY_YEARS..=LAST_YEAR {
            for criterion in framework.content.areas.iter().flat_map(|a| &a.criteria) {
                if !rng.chance(0.7) {
                    continue;
                }
                let level = AssessedLevel::new(1 + i64::try_from(rng.below(4))?)?;
                data.assessments.push(SeedAssessment {
                    key: SeedAssessmentKey {
                        framework: framework.code.clone(),
                        criterion: criterion.number.clone(),
                        unit: unit.org.clone(),
                        school_year: SchoolYear::new(year)?,
                    },
                    level,
                    strengths: format!("Styrker ved kjennetegn {} i {year}.", criterion.number),
                    next_steps: format!("Neste steg for kjennetegn {}.", criterion.number),
                    assessed_by: "leder@enhet.example".into(),
                    assessed_at: at(year, 11, 15),
                });
            }
        }
    }
    let start = chrono::NaiveDate::from_ymd_opt(LAST_YEAR - 1, 8, 1).expect("a valid date");
    let content = |title: String| InitiativeContent {
        title,
        description: "Satsing på trygt og godt skolemiljø.".into(),
        situation_today: "Mobbing ligger over målet i Elevundersøkelsen.".into(),
        wished_situation: "Ingen elever opplever mobbing.".into(),
        actions: "Felles plan for skolemiljø og kurs for ansatte i relasjonsarbeid.".into(),
        success_criteria: "Mobbing 1,2 eller lavere i Elevundersøkelsen.".into(),
        responsible: "Kommunalsjef for oppvekst".into(),
        start_date: start,
        end_date: None,
        criteria: vec![CriterionLink {
            framework: "skole".into(),
            criterion: "1.1".into(),
        }],
        indicators: vec!["eu_mobbing".into()],
        targets: vec![Target {
            indicator: "eu_mobbing".into(),
            value: 1.2,
            by_school_year: LAST_YEAR,
        }],
        school_years: vec![LAST_YEAR - 1, LAST_YEAR],
    };
    let evaluation = |judgement| SeedEvaluation {
        date: chrono::NaiveDate::from_ymd_opt(LAST_YEAR, 12, 10).expect("a valid date"),
        judgement,
        text: "Planen for skolemiljø er tatt i bruk.".into(),
        evaluated_by: "radgiver@kommune.example".into(),
        recorded_at: at(LAST_YEAR, 12, 10),
    };
    let judgements = [Judgement::OnTrack, Judgement::AtRisk, Judgement::OffTrack];
    let mut owner_initiative: HashMap<usize, usize> = HashMap::new();
    for unit in units.iter().filter(|unit| unit.kind == UnitKind::School) {
        let owner = &data.owners[unit.owner];
        if owner.kind != OwnerKind::Municipality || !rng.chance(0.35) {
            continue;
        }
        let parent = *owner_initiative.entry(unit.owner).or_insert_with(|| {
            data.initiatives.push(SeedInitiative {
                owner: owner.org_number.clone(),
                unit: None,
                parent: None,
                status: InitiativeStatus::Active,
                content: content(format!("Trygt og godt skolemiljø i {}", owner.name)),
                created_by: "radgiver@kommune.example".into(),
                created_at: at(LAST_YEAR - 1, 6, 10),
                evaluations: vec![evaluation(Judgement::OnTrack)],
            });
            data.initiatives.len() - 1
        });
        let judgement = judgements[rng.below(judgements.len())];
        data.initiatives.push(SeedInitiative {
            owner: owner.org_number.clone(),
            unit: Some(unit.org.clone()),
            parent: Some(parent),
            status: InitiativeStatus::Active,
            content: content(format!("Skolemiljø ved {}", unit.org.as_str())),
            created_by: "leder@enhet.example".into(),
            created_at: at(LAST_YEAR - 1, 8, 20),
            evaluations: vec![evaluation(judgement)],
        });
    }
    Ok(())
}

/// Every indicator value: per unit, then the published owner and national values.
fn values(data: &SeedData, units: &[Unit], rng: &mut Rng) -> Result<Vec<SeedValue>> {
    let group = |code: &str| ValueGroup::parse(code).expect("a valid group");
    let all = group("all");
    let girls = group("kjonn=jenter");
    let boys = group("kjonn=gutter");
    let grade7 = group("trinn=7");
    let grade10 = group("trinn=10");
    let thresholds: HashMap<&str, i64> = data
        .data_sources
        .iter()
        .map(|s| (s.code.as_str(), s.suppression_threshold))
        .collect();
    // Sources that suppress before publishing (Udir): Varde receives no value below the threshold.
    let presuppressed = |source: &str| source.starts_with("udir-");
    let mut out = Vec::new();
    let mut sums: HashMap<(usize, Level, i32, ValueGroup), Sums> = HashMap::new();
    for unit in units {
        let grades: &[i32] = match unit.stage {
            Some(SchoolStage::Primary) => &[1, 2, 3, 4, 5, 6, 7],
            Some(SchoolStage::LowerSecondary) => &[8, 9, 10],
            Some(SchoolStage::Combined) => &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            Some(SchoolStage::UpperSecondary) => &[11],
            None => &[],
        };
        for (i, indicator) in data.indicators.iter().enumerate() {
            if !indicator.applies_to.contains(&unit.kind) {
                continue;
            }
            let code = indicator.code.as_str();
            let source = indicator.source_code.as_str();
            // Which groups this unit has for this indicator, with their respondents.
            let upper = unit.stage == Some(SchoolStage::UpperSecondary);
            let family = code.split('_').next().unwrap_or(code);
            let np_grade = code
                .strip_prefix("np_")
                .and_then(|rest| rest.rsplit('_').next())
                .and_then(|g| g.parse::<i32>().ok());
            let applies = match family {
                "eu" if code == "eu_utdanningsveiledning" => upper || grades.contains(&10),
                "eu" => upper || grades.iter().any(|g| *g >= 5),
                "np" => np_grade.is_some_and(|g| grades.contains(&g)),
                "grunnskolepoeng" => grades.contains(&10),
                "foreldre" => !upper,
                _ => true,
            };
            if !applies {
                continue;
            }
            let m = model(code);
            let unit_effect = rng.normal() * m.unit_sd;
            for year in data.school_years.iter().map(|y| y.start_year()) {
                // Some units miss a year (not registered, survey not run).
                let participation = match family {
                    "ke" => 0.7,
                    "kf" => 0.5,
                    _ => 0.99,
                };
                if !rng.chance(participation) {
                    continue;
                }
                let drift = f64::from(year - LAST_YEAR) * 0.01 * m.unit_sd;
                let mut cells: Vec<(ValueGroup, f64, Option<i64>)> = Vec::new();
                let sample = |rng: &mut Rng, n: f64, shift: f64| {
                    let noise = if n > 0.0 {
                        rng.normal() * m.answer_sd / n.sqrt()
                    } else {
                        0.0
                    };
                    (m.mean + unit_effect + drift + shift + noise).clamp(m.low, m.high)
                };
                match family {
                    "eu" | "np" | "grunnskolepoeng" => {
                        let per_grade = |rng: &mut Rng, g: i32| {
                            let take = match family {
                                "eu" if upper => 1.0,
                                "eu" if g >= 5 => rng.uniform(0.82, 0.97),
                                "np" if Some(g) == np_grade => rng.uniform(0.9, 0.98),
                                "grunnskolepoeng" if g == 10 => rng.uniform(0.96, 0.99),
                                _ => 0.0,
                            };
                            (unit.size * take).round()
                        };
                        let counted: Vec<(i32, f64)> =
                            grades.iter().map(|g| (*g, per_grade(rng, *g))).collect();
                        let n: f64 = counted.iter().map(|(_, n)| n).sum();
                        if n < 1.0 {
                            continue;
                        }
                        let value = sample(rng, n, 0.0);
                        cells.push((all, value, Some(n as i64)));
                        if upper && family == "eu" {
                            // Videregående: Elevundersøkelsen for the whole school only.
                        } else {
                            let girls_n = (n * rng.uniform(0.45, 0.53)).round();
                            let gap = 0.05 * m.unit_sd.max(0.1) * 10.0 * rng.uniform(0.0, 0.3);
                            let g_value = sample(rng, girls_n, gap);
                            let b_value = sample(rng, n - girls_n, -gap);
                            cells.push((girls, g_value, Some(girls_n as i64)));
                            cells.push((boys, b_value, Some((n - girls_n) as i64)));
                            if family == "eu" {
                                for (g, grade) in [(7, grade7), (10, grade10)] {
                                    if let Some((_, gn)) = counted.iter().find(|(x, _)| *x == g) {
                                        let shift = if g == 7 { 0.1 } else { -0.1 };
                                        let v = sample(rng, *gn, shift);
                                        cells.push((grade, v, Some(*gn as i64)));
                                    }
                                }
                            }
                        }
                    }
                    "foreldre" => {
                        let n = (unit.size * grades.len() as f64).round();
                        cells.push((all, sample(rng, n, 0.0), Some(n as i64)));
                    }
                    "ke" | "kf" => {
                        let share = if family == "ke" { 0.35 } else { 0.2 };
                        let n = (unit.size * share * rng.uniform(0.6, 1.2)).round().max(2.0);
                        cells.push((all, sample(rng, n, 0.0), Some(n as i64)));
                    }
                    "bhg" if code.starts_with("bhg_fu_") => {
                        let n = (unit.size * rng.uniform(0.4, 0.8)).round().max(1.0);
                        cells.push((all, sample(rng, n, 0.0), Some(n as i64)));
                    }
                    "bhg" => {
                        let children = unit.size * 1.6;
                        let value = match code {
                            "bhg_antall_barn" => children.round(),
                            "bhg_arsverk" => children / 5.8,
                            "bhg_andel_pedagognorm" => rng.uniform(80.0, 110.0),
                            "bhg_andel_minoritetssprak" => rng.uniform(2.0, 45.0),
                            _ => rng.uniform(30.0, 60.0),
                        };
                        cells.push((all, value, None));
                    }
                    "gsi" => {
                        let pupils = unit.size * rng.uniform(0.95, 1.05);
                        let value = match code {
                            "gsi_elever" => pupils,
                            "gsi_venteliste" => pupils * rng.uniform(0.05, 0.4),
                            "gsi_arsverk" => pupils / 45.0,
                            "gsi_timer_musikk" => pupils * 18.0,
                            "gsi_plasser_samisk" => pupils * rng.uniform(0.0, 0.01),
                            "gsi_plasser_musikk" => pupils * 0.6,
                            _ => pupils * rng.uniform(0.03, 0.12),
                        };
                        cells.push((all, value, None));
                        if code == "gsi_elever" {
                            let share = rng.uniform(0.58, 0.66);
                            cells.push((girls, (pupils * share).round(), None));
                            cells.push((boys, (pupils * (1.0 - share)).round(), None));
                        }
                    }
                    "kostra" => continue, // published per kommune only, below
                    _ => continue,
                }
                // Udir suppresses below its threshold, and the other kjønn half with it.
                let threshold = thresholds.get(source).copied().unwrap_or(10);
                let hidden =
                    |n: Option<i64>| presuppressed(source) && n.is_some_and(|n| n < threshold);
                let split_hidden = cells
                    .iter()
                    .any(|(g, _, n)| g.gender.is_some() && g.grade.is_none() && hidden(*n));
                for (g, value, n) in cells {
                    let key_owner = (i, Level::Owner(unit.owner), year, g);
                    let key_nation = (i, Level::Nation, year, g);
                    for key in [key_owner, key_nation] {
                        let sum = sums.entry(key).or_default();
                        sum.weighted += value * n.unwrap_or(0) as f64;
                        sum.n += n.unwrap_or(0);
                        sum.total += value;
                    }
                    let suppressed =
                        hidden(n) || (split_hidden && g.gender.is_some() && g.grade.is_none());
                    out.push(SeedValue {
                        indicator_code: indicator.code.clone(),
                        subject: SeedSubject::Unit(unit.org.clone()),
                        school_year: SchoolYear::new(year)?,
                        group: g,
                        value: (!suppressed).then(|| round_to(value, indicator.decimals)),
                        respondents: if suppressed { None } else { n },
                        suppressed,
                    });
                }
            }
        }
    }
    // Published owner and national values: what Udir, SSB and GSI publish themselves (the local
    // kulturskole surveys are not published; Varde computes their aggregates).
    let mut keys: Vec<_> = sums.keys().copied().collect();
    keys.sort_by_key(|(i, level, year, g)| {
        let level = match level {
            Level::Nation => 0,
            Level::Owner(o) => o + 1,
        };
        (*i, level, *year, g.code())
    });
    let owner_orgs: Vec<&OrgNumber> = data.owners.iter().map(|o| &o.org_number).collect();
    for (i, level, year, g) in keys {
        let indicator = &data.indicators[i];
        let source = indicator.source_code.as_str();
        if source.starts_with("kulturskole-") {
            continue;
        }
        let sum = sums[&(i, level, year, g)];
        let counts = matches!(
            indicator.unit_of_measure,
            UnitOfMeasure::Count | UnitOfMeasure::Hours | UnitOfMeasure::Fte
        );
        let (value, n) = if counts {
            (sum.total, None)
        } else if sum.n > 0 {
            (sum.weighted / sum.n as f64, Some(sum.n))
        } else {
            continue; // a mean of figures without respondents is not published
        };
        out.push(SeedValue {
            indicator_code: indicator.code.clone(),
            subject: match level {
                Level::Owner(o) => SeedSubject::Owner(owner_orgs[o].clone()),
                Level::Nation => SeedSubject::Nation,
            },
            school_year: SchoolYear::new(year)?,
            group: g,
            value: Some(round_to(value, indicator.decimals)),
            respondents: n,
            suppressed: false,
        });
    }
    // KOSTRA: per kommune with a kulturskole, and the nation.
    let with_arts: Vec<(usize, f64)> = {
        let mut pupils: HashMap<usize, f64> = HashMap::new();
        for unit in units.iter().filter(|u| u.kind == UnitKind::ArtsSchool) {
            *pupils.entry(unit.owner).or_default() += unit.size;
        }
        let mut list: Vec<(usize, f64)> = pupils.into_iter().collect();
        list.sort_by_key(|(o, _)| *o);
        list
    };
    for indicator in data
        .indicators
        .iter()
        .filter(|i| i.code.starts_with("kostra_"))
    {
        for year in data.school_years.iter().map(|y| y.start_year()) {
            let mut weighted = 0.0;
            let mut total_n = 0;
            for (owner, pupils) in &with_arts {
                let children = (pupils * rng.uniform(6.0, 9.0)).round();
                let (value, n) = match indicator.code.as_str() {
                    "kostra_andel_elever_6_15" => (100.0 * pupils / children, Some(children)),
                    "kostra_andel_venteliste" => (rng.uniform(0.0, 9.0), Some(children)),
                    _ => (rng.uniform(1500.0, 4000.0), None),
                };
                weighted += value * children;
                total_n += children as i64;
                out.push(SeedValue {
                    indicator_code: indicator.code.clone(),
                    subject: SeedSubject::Owner(owner_orgs[*owner].clone()),
                    school_year: SchoolYear::new(year)?,
                    group: all,
                    value: Some(round_to(value, indicator.decimals)),
                    respondents: n.map(|n| n as i64),
                    suppressed: false,
                });
            }
            if total_n > 0 {
                out.push(SeedValue {
                    indicator_code: indicator.code.clone(),
                    subject: SeedSubject::Nation,
                    school_year: SchoolYear::new(year)?,
                    group: all,
                    value: Some(round_to(weighted / total_n as f64, indicator.decimals)),
                    respondents: Some(total_n),
                    suppressed: false,
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_data_set() {
        let a = national(Scale::SMOKE, 15).expect("generates");
        let b = national(Scale::SMOKE, 15).expect("generates");
        assert_eq!(a.values.len(), b.values.len());
        assert_eq!(format!("{:?}", a.values), format!("{:?}", b.values));
        assert_eq!(format!("{:?}", a.units), format!("{:?}", b.units));
    }

    #[test]
    fn the_smoke_scale_has_every_kind_of_unit_and_suppressed_values() {
        let data = national(Scale::SMOKE, 15).expect("generates");
        assert_eq!(
            data.owners
                .iter()
                .filter(|o| o.kind == OwnerKind::Municipality)
                .count(),
            Scale::SMOKE.kommuner
        );
        for kind in [
            UnitKind::School,
            UnitKind::Kindergarten,
            UnitKind::ArtsSchool,
        ] {
            assert!(data.units.iter().any(|u| u.kind == kind), "{kind:?}");
        }
        assert_eq!(data.units.len(), 60 + 40 + 14);
        assert!(data.values.iter().any(|v| v.suppressed));
        assert!(
            data.values
                .iter()
                .all(|v| !(v.suppressed && v.value.is_some()))
        );
        assert_eq!(data.indicators.len(), 60);
    }

    #[test]
    fn schools_and_kulturskoler_have_assessments_and_the_largest_kommune_has_initiatives() {
        let data = national(Scale::SMOKE, 15).expect("generates");
        let assessed: HashSet<&OrgNumber> = data.assessments.iter().map(|a| &a.key.unit).collect();
        for unit in &data.units {
            let assesses = matches!(unit.kind, UnitKind::School | UnitKind::ArtsSchool);
            assert_eq!(assessed.contains(&unit.org_number), assesses, "{unit:?}");
        }
        let largest = &data.owners[0].org_number;
        let unit_initiatives = data
            .initiatives
            .iter()
            .filter(|i| &i.owner == largest && i.unit.is_some())
            .collect::<Vec<_>>();
        assert!(!unit_initiatives.is_empty());
        for initiative in unit_initiatives {
            let parent = &data.initiatives[initiative.parent.expect("under the owner's")];
            assert_eq!((&parent.owner, &parent.unit), (largest, &None));
        }
    }
}

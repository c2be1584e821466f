#!/usr/bin/env python3
"""Generate the Varde demo seed data (the CSV files beside this script).

The data is invented but plausible: real municipality and county names and numbers (with their
2020 and 2024 history), invented unit names, invented organisasjonsnummer (valid mod-11) and
invented values. Deterministic (random.Random(2026)), Python 3.11, standard library only.

    python3 seeds/generate.py

See seeds/README.md for the scales and the file formats. The script ends with a validation pass
that checks the rules the Rust loader enforces.
"""
from __future__ import annotations

import csv
import math
import random
import re
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent
SEED = 2026
YEARS = [2021, 2022, 2023, 2024, 2025]  # school years: 2021 means 2021-22
MAX_FILE_BYTES = 2_000_000

# =============================================================================================
# Static tables (real geography, invented units)
# =============================================================================================

# county_number, name, valid_from, valid_to (calendar years inclusive, None = open)
COUNTIES = [
    ("02", "Akershus", None, 2019),
    ("06", "Buskerud", None, 2019),
    ("11", "Rogaland", None, None),
    ("30", "Viken", 2020, 2023),
    ("32", "Akershus", 2024, None),
    ("33", "Buskerud", 2024, None),
]

# key, kind, name, current county_number
OWNERS = [
    ("kongsberg", "municipality", "Kongsberg kommune", "33"),
    ("drammen", "municipality", "Drammen kommune", "33"),
    ("lillestrom", "municipality", "Lillestrøm kommune", "32"),
    ("baerum", "municipality", "Bærum kommune", "32"),
    ("karmoy", "municipality", "Karmøy kommune", "11"),
    ("rogaland_fk", "county_municipality", "Rogaland fylkeskommune", "11"),
    ("stiftelsen_elvebyen", "private", "Stiftelsen Elvebyen Montessori", "33"),
]
MUNICIPALITIES = [o[0] for o in OWNERS if o[1] == "municipality"]

# owner_key, code, valid_from, valid_to (calendar years inclusive, None = open). Real numbers.
OWNER_CODES = [
    ("kongsberg", "0604", None, 2019),
    ("kongsberg", "3006", 2020, 2023),
    ("kongsberg", "3303", 2024, None),
    ("drammen", "0602", None, 2019),
    ("drammen", "3005", 2020, 2023),
    ("drammen", "3301", 2024, None),
    ("baerum", "0219", None, 2019),
    ("baerum", "3024", 2020, 2023),
    ("baerum", "3201", 2024, None),
    ("lillestrom", "0231", None, 2019),  # Skedsmo
    ("lillestrom", "0227", None, 2019),  # Fet
    ("lillestrom", "0226", None, 2019),  # Sørum
    ("lillestrom", "3030", 2020, 2023),
    ("lillestrom", "3205", 2024, None),
    ("karmoy", "1149", None, None),
    ("rogaland_fk", "11", None, None),
]

SMALL = 0  # marker size: a very small rural school, 3-6 pupils per trinn

# owner_key, kind, stage, name, size, active_from, active_to
#   size: pupils per trinn for grunnskoler, Elevundersøkelsen respondents for videregående.
UNITS = [
    ("kongsberg", "school", "primary", "Sølvåsen skole", 48, None, None),
    ("kongsberg", "school", "primary", "Myrjordet skole", 36, None, None),
    ("kongsberg", "school", "primary", "Tråstølen skole", SMALL, None, None),
    ("kongsberg", "school", "combined", "Gruvelia skole", 40, None, None),
    ("kongsberg", "school", "lower_secondary", "Lågdalen ungdomsskole", 88, None, None),
    ("kongsberg", "kindergarten", None, "Solbakken barnehage", None, None, None),
    ("kongsberg", "kindergarten", None, "Tyttebærlia barnehage", None, None, None),
    ("kongsberg", "kindergarten", None, "Sølvstjerna barnehage", None, None, None),
    ("kongsberg", "arts_school", None, "Kongsberg kulturskole", None, None, None),
    ("drammen", "school", "primary", "Bragernesåsen skole", 55, None, None),
    ("drammen", "school", "primary", "Elvebredden skole", 42, None, None),
    ("drammen", "school", "primary", "Fjellbekken skole", 30, None, None),
    ("drammen", "school", "combined", "Konnerudlia skole", 38, None, None),
    ("drammen", "school", "lower_secondary", "Åsbakken ungdomsskole", 85, None, None),
    ("drammen", "kindergarten", None, "Blåklokka barnehage", None, None, None),
    ("drammen", "kindergarten", None, "Elvekanten barnehage", None, None, None),
    ("drammen", "kindergarten", None, "Kirkelia barnehage", None, None, None),
    ("drammen", "arts_school", None, "Drammen kulturskole", None, None, None),
    ("lillestrom", "school", "primary", "Nitelvlia skole", 58, None, None),
    ("lillestrom", "school", "primary", "Fjellhamarlia skole", 44, None, None),
    ("lillestrom", "school", "primary", "Kjeldsrud skole", 22, None, 2023),  # closed summer 2024
    ("lillestrom", "school", "combined", "Kunnskapsbyen skole", 52, 2023, None),  # opened 2023
    ("lillestrom", "school", "combined", "Sørumsmoen skole", 34, None, None),
    ("lillestrom", "school", "lower_secondary", "Fetsundtoppen ungdomsskole", 75, None, None),
    ("lillestrom", "kindergarten", None, "Åkerlia barnehage", None, None, None),
    ("lillestrom", "kindergarten", None, "Tårnfalken barnehage", None, None, None),
    ("lillestrom", "kindergarten", None, "Rådhusparken barnehage", None, None, None),
    ("lillestrom", "arts_school", None, "Lillestrøm kulturskole", None, None, None),
    ("baerum", "school", "primary", "Kolsåstoppen skole", 62, None, None),
    ("baerum", "school", "primary", "Sandvikselva skole", 50, None, None),
    ("baerum", "school", "primary", "Fornebuodden skole", 70, None, None),
    ("baerum", "school", "combined", "Lommedalslia skole", 30, None, None),
    ("baerum", "school", "lower_secondary", "Østernvann ungdomsskole", 90, None, None),
    ("baerum", "kindergarten", None, "Kalkovnen barnehage", None, None, None),
    ("baerum", "kindergarten", None, "Snarøystranda barnehage", None, None, None),
    ("baerum", "kindergarten", None, "Eineåsen barnehage", None, None, None),
    ("baerum", "arts_school", None, "Bærum kulturskole", None, None, None),
    ("karmoy", "school", "primary", "Veavågen skole", 45, None, None),
    ("karmoy", "school", "primary", "Åkrehamn nord skole", 40, None, None),
    ("karmoy", "school", "combined", "Torvastadlia skole", 35, None, None),
    ("karmoy", "school", "combined", "Vestremyr skole", SMALL, None, None),
    ("karmoy", "school", "lower_secondary", "Sandhåland ungdomsskole", 80, None, None),
    ("karmoy", "kindergarten", None, "Havgløtt barnehage", None, None, None),
    ("karmoy", "kindergarten", None, "Måkeskjæret barnehage", None, None, None),
    ("karmoy", "kindergarten", None, "Lyngheia barnehage", None, None, None),
    ("karmoy", "arts_school", None, "Karmøy kulturskole", None, None, None),
    ("rogaland_fk", "school", "upper_secondary", "Vikingodden videregående skole", 650, None, None),
    ("rogaland_fk", "school", "upper_secondary", "Nordsjøen videregående skole", 900, None, None),
    ("rogaland_fk", "school", "upper_secondary", "Jærhagen videregående skole", 480, None, None),
    ("stiftelsen_elvebyen", "school", "combined", "Elvebyen Montessoriskole", 16, None, None),
]

# Minimum group size of every source: restricted aggregates shown to a caller who may not read every
# member must rest on at least this many counted units (issue 16).
MIN_GROUP_SIZE = 3

# code, name, publisher, description, sensitivity, suppression_threshold
DATA_SOURCES = [
    ("udir-elevundersokelsen", "Elevundersøkelsen", "Utdanningsdirektoratet",
     "Nasjonal spørreundersøkelse om læringsmiljø, obligatorisk for 7. og 10. trinn og Vg1 "
     "(frivillig for øvrige trinn). Indekser på skala 1-5 fra Udirs statistikkbank; "
     "celler med for få svar er prikket (*) av Udir.", "public", 10),
    ("udir-nasjonale-prover", "Nasjonale prøver", "Utdanningsdirektoratet",
     "Nasjonale prøver i lesing, regning og engelsk på 5., 8. og 9. trinn. Resultater på skala "
     "med nasjonalt snitt 50 og standardavvik 10. Prikket av Udir ved for få elever.", "public", 10),
    ("udir-grunnskolepoeng", "Grunnskolepoeng", "Utdanningsdirektoratet",
     "Gjennomsnittlige grunnskolepoeng fra Udirs statistikkbank: snittet av alle standpunkt- og "
     "eksamenskarakterer etter 10. trinn, ganget med 10.", "public", 10),
    ("ssb-utdanningsniva", "Foreldrenes utdanningsnivå", "Statistisk sentralbyrå",
     "Andel av elevenes foreldre med universitets- eller høgskoleutdanning, fra SSBs "
     "utdanningsregister koblet mot elevdata.", "public", 3),
    ("ssb-kostra", "KOSTRA", "Statistisk sentralbyrå",
     "Kommune-Stat-Rapportering: nøkkeltall for kommunenes kulturskoletilbud (andel barn 6-15 år "
     "i kulturskolen, andel på venteliste, netto driftsutgifter per innbygger 6-15 år).",
     "public", 3),
    ("gsi", "GSI", "Utdanningsdirektoratet",
     "Grunnskolens informasjonssystem, inkludert kulturskolen: elever, venteliste, elevplasser og "
     "årstimer per fagområde og årsverk. Tilstand per 1. oktober.", "public", 5),
    ("kulturskole-elevundersokelse", "Elevundersøkelsen for kulturskolen",
     "Kulturskolen (lokal undersøkelse)",
     "Lokal elevundersøkelse for kulturskolen etter rammeplanen «Mangfold og fordypning». "
     "Rå verdier per kulturskole med antall svar; Varde prikker selv.", "restricted", 10),
    ("kulturskole-foreldreundersokelse", "Foreldreundersøkelsen for kulturskolen",
     "Kulturskolen (lokal undersøkelse)",
     "Lokal foreldreundersøkelse for kulturskolen: informasjon, samarbeid hjem-kulturskole, "
     "tilfredshet og elevens utvikling. Rå verdier per kulturskole; Varde prikker selv.",
     "restricted", 10),
]
# Sources that suppress before publishing (Varde receives '*' / ':' for cells with n < threshold).
PRESUPPRESSED_SOURCES = {"udir-elevundersokelsen", "udir-nasjonale-prover",
                         "udir-grunnskolepoeng", "ssb-utdanningsniva"}

INDICATOR_COLUMNS = ["code", "name", "description", "source_code", "category", "unit_of_measure",
                     "direction", "decimals", "applies_to", "min_value", "max_value",
                     "colour_mode", "colour_green", "colour_red", "colour_margin"]

# Elevundersøkelsen: code, name, what it measures, mean, 7.-vs-10. trinn gap, girls-minus-boys,
#                   green, red.  'mean' is the school value; trinn 5-7 sit gap/2 above it.
EU_MODEL = [
    ("eu_trivsel", "Trivsel", "hvor godt elevene trives på skolen", 4.3, 0.25, -0.05, 4.4, 4.1),
    ("eu_stotte_larere", "Støtte fra lærerne",
     "om elevene opplever at lærerne bryr seg, hjelper og har tro på dem", 4.2, 0.35, 0.0, 4.3, 4.0),
    ("eu_stotte_hjemme", "Støtte hjemmefra",
     "om foreldrene støtter, oppmuntrer og hjelper med skolearbeidet", 4.3, 0.30, 0.0, 4.4, 4.1),
    ("eu_faglig_utfordring", "Faglig utfordring",
     "om elevene får utfordrende oppgaver og må jobbe hardt", 4.3, -0.10, 0.05, 4.4, 4.1),
    ("eu_vurdering_for_laering", "Vurdering for læring",
     "om elevene får tilbakemeldinger og veiledning som hjelper dem å lære", 4.0, 0.45, 0.0, 4.1, 3.8),
    ("eu_laeringskultur", "Læringskultur",
     "om det er ro og arbeidsinnsats i timene og greit å gjøre feil", 4.0, 0.30, 0.0, 4.1, 3.8),
    ("eu_mestring", "Mestring", "om elevene opplever at de mestrer skolearbeidet",
     4.1, 0.10, -0.10, 4.2, 3.9),
    ("eu_motivasjon", "Motivasjon", "elevenes interesse og lyst til å lære", 4.0, 0.50, 0.05, 4.1, 3.8),
    ("eu_elevdemokrati", "Elevdemokrati og medvirkning",
     "om elevene får være med og bestemme og blir hørt", 3.7, 0.35, 0.0, 3.8, 3.5),
    ("eu_felles_regler", "Felles regler",
     "om lærerne er enige om og håndhever reglene likt", 4.2, 0.30, 0.05, 4.3, 4.0),
    ("eu_utdanningsveiledning", "Utdanning og yrkesveiledning",
     "om elevene har fått informasjon og veiledning om utdanning og yrker (8.-10. trinn og vgs)",
     3.9, 0.0, 0.0, 4.0, 3.7),
    ("eu_mobbing", "Mobbing", "hvor ofte elevene opplever å bli mobbet; høy verdi er negativt",
     1.3, 0.05, -0.03, 1.2, 1.5),
]
EU_CODES = [m[0] for m in EU_MODEL]
EU = {m[0]: dict(mean=m[3], gap=m[4], sex=m[5]) for m in EU_MODEL}

# Nasjonale prøver: code -> (subject, trinn, girls-minus-boys)
NP_MODEL = {
    "np_lesing_5": ("lesing", 5, 2.0), "np_regning_5": ("regning", 5, -1.2),
    "np_engelsk_5": ("engelsk", 5, -0.8), "np_lesing_8": ("lesing", 8, 2.0),
    "np_regning_8": ("regning", 8, -1.2), "np_engelsk_8": ("engelsk", 8, -0.8),
    "np_lesing_9": ("lesing", 9, 2.0), "np_regning_9": ("regning", 9, -1.2),
}
GSP_NATION = {2021: 43.4, 2022: 43.2, 2023: 43.1, 2024: 43.3, 2025: 43.6}
GSP_SEX = 4.5  # girls minus boys

# Arts-school surveys: code, name, description, mean, green, red, category
KE_MODEL = [
    ("ke_trivsel", "Trivsel", "hvor godt eleven trives i kulturskolen", 4.4, 4.4, 4.0, "prosess"),
    ("ke_motivasjon", "Indre motivasjon", "elevens lyst til å øve og lære faget",
     4.2, 4.2, 3.8, "prosess"),
    ("ke_mestring", "Forventning om mestring", "om eleven tror den får til det den øver på",
     4.1, 4.2, 3.8, "prosess"),
    ("ke_laererstotte", "Elev-lærer-relasjon",
     "støtte, oppmuntring og tilbakemeldinger fra læreren", 4.5, 4.5, 4.1, "prosess"),
    ("ke_medvirkning", "Medvirkning", "om eleven får være med og bestemme innhold og repertoar "
     "(kulturskolens myndiggjøring)", 3.7, 3.9, 3.4, "prosess"),
    ("ke_framforing", "Framføringer og opptredener",
     "elevens erfaring med konserter, forestillinger og utstillinger", 3.9, 4.0, 3.6, "prosess"),
]
KF_MODEL = [
    ("kf_informasjon", "Informasjon", "om foresatte får god informasjon om tilbud, mål og "
     "arrangementer, og gjennom gode kanaler", 3.9, 4.0, 3.6, "prosess"),
    ("kf_samarbeid_hjem", "Dialog hjem-kulturskole",
     "dialog, tilbakemeldinger og samarbeid mellom hjemmet og kulturskolen", 3.7, 3.9, 3.5, "prosess"),
    ("kf_tilfredshet", "Tilfredshet med undervisningstilbudet",
     "foresattes tilfredshet med undervisningen og tilbudet", 4.3, 4.3, 3.9, "prosess"),
    ("kf_elevens_utvikling", "Elevens utvikling",
     "foresattes inntrykk av barnets faglige og personlige utvikling", 4.2, 4.2, 3.8, "resultat"),
]
SURVEY = {m[0]: m[3] for m in KE_MODEL + KF_MODEL}

GSI_PLACES = [  # code suffix, name, mean share of all places
    ("musikk", "musikk", 0.55), ("visuell", "visuelle kunstfag", 0.12), ("teater", "teater", 0.08),
    ("dans", "dans", 0.17), ("samisk", "samiske kulturfag", 0.0), ("andre", "andre tilbud", 0.06),
]

# Owner profiles for invented values: EU climate shift, NP shift, grunnskolepoeng shift,
# % parents with higher education.
OWNER_PROFILE = {
    "kongsberg": dict(eu=0.03, np=0.5, gsp=0.3, parents=46.0),
    "drammen": dict(eu=-0.05, np=-1.5, gsp=-0.8, parents=41.0),
    "lillestrom": dict(eu=0.0, np=0.3, gsp=0.2, parents=49.0),
    "baerum": dict(eu=0.06, np=3.0, gsp=2.2, parents=66.0),
    "karmoy": dict(eu=0.04, np=-1.0, gsp=-0.5, parents=31.0),
    "rogaland_fk": dict(eu=-0.05, np=0.0, gsp=0.0, parents=45.0),
    "stiftelsen_elvebyen": dict(eu=0.10, np=1.5, gsp=1.0, parents=58.0),
}
# Kulturskole profile per municipality: children 6-15, % of them in the kulturskole,
# % of them on the waiting list, net operating cost per inhabitant 6-15 (NOK, 2021).
ARTS_PROFILE = {
    "kongsberg": dict(pop=3500, share=16.5, wait=2.5, cost=3250),
    "drammen": dict(pop=11600, share=9.5, wait=4.8, cost=2250),
    "lillestrom": dict(pop=12300, share=11.0, wait=3.6, cost=2150),
    "baerum": dict(pop=17500, share=12.5, wait=6.0, cost=2700),
    "karmoy": dict(pop=5500, share=21.0, wait=1.4, cost=2950),
}
# Counties and nation (for reference values): pupils per trinn, vgs EU respondents,
# EU/NP/GSP shift, children 6-15, kulturskole share/wait/cost.
AREA_PROFILE = {
    "30": dict(trinn=15500, vg=40000, eu=0.01, np=0.6, gsp=0.4, pop=150000, share=11.5, wait=4.2, cost=2400),
    "32": dict(trinn=9000, vg=23000, eu=0.02, np=1.5, gsp=0.9, pop=90000, share=11.8, wait=4.5, cost=2350),
    "33": dict(trinn=3400, vg=8500, eu=-0.01, np=-0.5, gsp=-0.3, pop=32000, share=12.4, wait=3.3, cost=2600),
    "11": dict(trinn=6400, vg=17000, eu=0.02, np=0.3, gsp=0.2, pop=64000, share=14.2, wait=2.6, cost=2700),
    "nation": dict(trinn=61000, vg=165000, eu=0.0, np=0.0, gsp=0.0, pop=640000, share=13.4, wait=3.8,
                   cost=2480),
}
EU_PARTICIPATION = {5: 0.80, 6: 0.80, 7: 0.92, 8: 0.80, 9: 0.80, 10: 0.92}

# Cells reported as missing (no value, not suppressed): (unit name, indicator prefix, school year)
MISSING_UNIT_CELLS = [
    ("Fjellbekken skole", "np_", 2022),            # did not take the 5th grade tests
    ("Lommedalslia skole", "eu_elevdemokrati", 2022),
    ("Torvastadlia skole", "grunnskolepoeng", 2023),
]
MISSING_OWNER_CELLS = [("karmoy", "kostra_netto_driftsutgift", 2022)]  # SSB '..'

# Arts-school survey respondent overrides: (municipality, survey prefix, year) -> n
SURVEY_N_OVERRIDE = {("karmoy", "ke_", 2022): 8, ("kongsberg", "kf_", 2024): 6}
SURVEY_ABSENT = {("lillestrom", "kf_", 2021)}  # parent survey not run that year: no rows
# 2025-26 is under way: so far only Kongsberg and Lillestrøm have run the parent survey.
SURVEY_ABSENT |= {(owner, "kf_", 2025) for owner in ("drammen", "baerum", "karmoy")}

# Disclosure control (issue 16) needs kommuner with one, two and three kulturskoler. These are added
# after everything else, with their own random stream, so that no other value changes. Each carries
# the local surveys only: its GSI and KOSTRA figures are reported within the kommune's main
# kulturskole (the owner's published figures cover all of them).
#   Lierdalen interkommunale kulturskole is shared by Drammen and Lier (not in the demo data) as a
#   vertskommunesamarbeid (kommuneloven § 20-2): the host kommune, Drammen, runs it, so Drammen is
#   its owner, and its survey results are Drammen's.
# owner, name, relative size (pupils as a share of the owner's kulturskole pupils)
EXTRA_ARTS_SCHOOLS = [
    ("drammen", "Lierdalen interkommunale kulturskole", 0.5),
    ("lillestrom", "Fetsund kulturskole", 0.35),
    ("lillestrom", "Sørumsand kulturskole", 0.3),
]
EXTRA_SEED = SEED + 16
# (unit name, prefix, year) -> n: a small response that Varde suppresses itself.
EXTRA_SURVEY_N_OVERRIDE = {("Sørumsand kulturskole", "ke_", 2023): 7}

GROUP_ORDER = ["all", "trinn=5", "trinn=7", "trinn=8", "trinn=9", "trinn=10",
               "kjonn=jenter", "kjonn=gutter",
               "trinn=7;kjonn=jenter", "trinn=7;kjonn=gutter",
               "trinn=10;kjonn=jenter", "trinn=10;kjonn=gutter"]
LEVEL_ORDER = ["nation", "county", "owner", "unit"]


# Kulturskoler have more girls than boys; the split varies by school and year.
SURVEY_GIRLS_SHARE = (0.55, 0.8)


def survey_by_gender(org, code, year, value, n):
    """A survey cell for everyone split into jenter and gutter that add up to it (n and n x value).
    Drawn from its own generator, so that the cells for everyone and all other data stay as they
    were; small boys' halves fall below the threshold, and Varde's own suppression must cope."""
    rng = random.Random(f"kjonn-{org}-{code}-{year}")
    girls = min(n - 1, max(1, round(n * rng.uniform(*SURVEY_GIRLS_SHARE))))
    boys = n - girls
    gap = rng.gauss(0.15, 0.2)
    return {
        "all": (value, n),
        "kjonn=jenter": (value + gap * boys / n, girls),
        "kjonn=gutter": (value - gap * girls / n, boys),
    }


# =============================================================================================
# Helpers
# =============================================================================================

def in_range(year, start, end):
    return (start is None or start <= year) and (end is None or year <= end)


def orgnr_check_digit(first8: str):
    """Mod-11 check digit for the first 8 digits, or None when the number cannot be valid."""
    remainder = sum(int(d) * w for d, w in zip(first8, (3, 2, 7, 6, 5, 4, 3, 2))) % 11
    check = 11 - remainder
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def valid_orgnr(number: str) -> bool:
    return (len(number) == 9 and number.isdigit()
            and orgnr_check_digit(number[:8]) == int(number[8]))


def new_orgnr(rng, used):
    while True:
        first8 = str(rng.choice((8, 9))) + "".join(str(rng.randrange(10)) for _ in range(7))
        check = orgnr_check_digit(first8)
        if check is None:
            continue
        number = first8 + str(check)
        if number not in used:
            used.add(number)
            return number


def owner_code(owner_key, school_year):
    """The owner's code valid on 1 January of school_year + 1 (None for owners without codes)."""
    hits = [c for o, c, f, t in OWNER_CODES if o == owner_key and in_range(school_year + 1, f, t)]
    assert len(hits) <= 1, (owner_key, school_year, hits)
    return hits[0] if hits else None


def year_label(school_year):
    return f"{school_year % 100:02d}-{(school_year + 1) % 100:02d}"


def wmean(cells):
    total = sum(n for _, n in cells)
    return sum(v * n for v, n in cells) / total, total


def clamp(x, lo, hi):
    return max(lo, min(hi, x))


def split_sexes(rng, base, n, diff, sd):
    """Split a cell of n respondents into girls/boys; returns {group: (value, n)}, consistent:
    'all' is the n-weighted mean of the two halves."""
    spread = min(0.06, 1.5 / math.sqrt(n))  # small groups vary more around 49 % girls
    nj = clamp(round(n * (0.49 + rng.uniform(-spread, spread))), 1, n - 1)
    ng = n - nj
    vj = base + ng / n * diff + rng.gauss(0, sd / math.sqrt(nj))
    vg = base - nj / n * diff + rng.gauss(0, sd / math.sqrt(ng))
    return {"all": ((vj * nj + vg * ng) / n, n), "kjonn=jenter": (vj, nj), "kjonn=gutter": (vg, ng)}


def soft_bound(v, lo, hi, knee=0.8):
    """Identity in the middle of [lo, hi], squeezed smoothly into the range near its ends."""
    centre, half = (lo + hi) / 2, (hi - lo) / 2
    d, k = v - centre, knee * half
    if abs(d) <= k:
        return v
    return centre + math.copysign(k + (half - k) * math.tanh((abs(d) - k) / (half - k)), d)


def shift_to(cells, target):
    """Move all cells by the same amount so that 'all' becomes target (keeps them consistent)."""
    delta = target - cells["all"][0]
    return {g: (x + delta, n) for g, (x, n) in cells.items()}


def shift_into(cells, lo, hi):
    return shift_to(cells, soft_bound(cells["all"][0], lo, hi))


# =============================================================================================
# Generation
# =============================================================================================

class Generator:
    def __init__(self):
        self.rng = random.Random(SEED)
        self.sources = {s[0]: s for s in DATA_SOURCES}
        self.indicators = build_indicators()
        self.ind = {i["code"]: i for i in self.indicators}
        self.values = {}  # (indicator, level, subject_code, year, group) -> (value str, n str, suppressed)
        self.owner_name = {o[0]: o[2] for o in OWNERS}
        self.owner_orgnr = {}
        self.units = []
        self.latent = {}  # (indicator, org, year) -> {group: (value, n)} before rounding/suppression

    # ---------------------------------------------------------------- registry rows
    def build_registry(self):
        used = set()
        for key, *_ in OWNERS:
            self.owner_orgnr[key] = new_orgnr(self.rng, used)
        for owner, kind, stage, name, size, start, end in UNITS:
            self.units.append(dict(org=new_orgnr(self.rng, used), owner=owner, kind=kind, stage=stage,
                                   name=name, size=size, start=start, end=end))
        self.extra_rng = random.Random(EXTRA_SEED)
        for owner, name, share in EXTRA_ARTS_SCHOOLS:
            self.units.append(dict(org=new_orgnr(self.extra_rng, used), owner=owner, kind="arts_school",
                                   stage=None, name=name, size=None, start=None, end=None,
                                   extra=share))

    def active(self, unit, year):
        return in_range(year, unit["start"], unit["end"])

    def owner_units(self, owner, year):
        return [u for u in self.units if u["owner"] == owner and self.active(u, year)]

    # ---------------------------------------------------------------- value sink
    def emit(self, ind, level, code, year, cells, missing=False):
        """Store {group: (value, n)}; n None = not meaningful. Applies source-side suppression
        (primary n < threshold, secondary: both halves of a kjonn split) for pre-suppressing sources."""
        indicator = self.ind[ind]
        source = indicator["source_code"]
        threshold = self.sources[source][5]
        presuppressed = source in PRESUPPRESSED_SOURCES
        suppressed = {g for g, (_, n) in cells.items()
                      if presuppressed and n is not None and n < threshold}
        for g in list(suppressed):  # secondary suppression of the complementary half
            if "kjonn=" in g:
                other = g.replace("jenter", "gutter") if "jenter" in g else g.replace("gutter", "jenter")
                if other in cells:
                    suppressed.add(other)
        lo, hi = indicator["min_value"], indicator["max_value"]
        for group, (value, n) in cells.items():
            key = (ind, level, code, year, group)
            assert key not in self.values, key
            if missing:
                self.values[key] = ("", "", False)
            elif group in suppressed:
                self.values[key] = ("", "", True)
            else:
                if lo != "":
                    value = clamp(value, float(lo), float(hi) if hi != "" else value)
                text = f"{value:.{indicator['decimals']}f}"
                if text.startswith("-0") and float(text) == 0:
                    text = text[1:]
                self.values[key] = (text, "" if n is None else str(n), False)

    def is_missing(self, unit, ind, year):
        return any(unit["name"] == name and ind.startswith(prefix) and year == y
                   for name, prefix, y in MISSING_UNIT_CELLS)

    # ---------------------------------------------------------------- school populations
    def build_populations(self):
        """Pupils per trinn and Elevundersøkelsen respondents per (unit, year)."""
        rng = self.rng
        for u in self.units:
            u["pupils"], u["eu_parts"] = {}, {}
            if u["kind"] != "school":
                continue
            for y in YEARS:
                if u["stage"] == "upper_secondary":
                    u["pupils"][y] = {}
                    u["eu_parts"][y] = {"vg": round(u["size"] * rng.uniform(0.9, 1.1))}
                    continue
                trinns = {"primary": range(1, 8), "lower_secondary": range(8, 11),
                          "combined": range(1, 11)}[u["stage"]]
                pupils, parts = {}, {}
                for t in trinns:
                    if u["size"] == SMALL:
                        pupils[t] = rng.randint(3, 6)
                    else:
                        pupils[t] = round(u["size"] * rng.uniform(0.85, 1.15))
                    if t >= 5:
                        if u["size"] == SMALL:
                            parts[t] = pupils[t]
                        else:
                            parts[t] = min(pupils[t],
                                           round(pupils[t] * EU_PARTICIPATION[t] * rng.uniform(0.95, 1.05)))
                u["pupils"][y], u["eu_parts"][y] = pupils, parts

    # ---------------------------------------------------------------- Elevundersøkelsen
    def eu_cells(self, ind, base_shift, year, parts, drift, sampling=True):
        """Latent cells for all groups from per-trinn respondents `parts` ({5..10|'vg': n})."""
        rng, m = self.rng, EU[ind]
        sd = (0.4 if ind == "eu_mobbing" else 0.7) if sampling else 0.0  # pupil-level spread
        per_part = {}
        for part, n in parts.items():
            if n <= 0 or (ind == "eu_utdanningsveiledning" and part != "vg" and part < 8):
                continue
            if part == "vg":
                offset = -0.05  # videregående: close to the mean, slightly lower
            else:
                offset = m["gap"] / 2 if part <= 7 else -m["gap"] / 2
            base = m["mean"] + base_shift + drift[ind][year] + offset
            per_part[part] = split_sexes(rng, base, n, m["sex"], sd)
        if not per_part:
            return {}
        cells = {}
        for g in ("all", "kjonn=jenter", "kjonn=gutter"):
            cells[g] = wmean([c[g] for c in per_part.values()])
        for t in (7, 10):
            if t in per_part:
                cells[f"trinn={t}"] = per_part[t]["all"]
                cells[f"trinn={t};kjonn=jenter"] = per_part[t]["kjonn=jenter"]
                cells[f"trinn={t};kjonn=gutter"] = per_part[t]["kjonn=gutter"]
        return cells

    def gen_eu(self):
        rng = self.rng
        drift = {}
        for ind in EU_CODES:  # national drift: small random walk
            walk, level = {}, 0.0
            for y in YEARS:
                walk[y] = level
                level += rng.gauss(0, 0.02) * (0.3 if ind == "eu_mobbing" else 1)
            drift[ind] = walk
        unit_groups = {"all", "trinn=7", "trinn=10", "kjonn=jenter", "kjonn=gutter"}
        for u in self.units:
            if u["kind"] != "school":
                continue
            climate = rng.gauss(0, 0.12)
            owner_shift = OWNER_PROFILE[u["owner"]]["eu"]
            for ind in EU_CODES:
                if ind == "eu_mobbing":
                    eff = clamp(-0.5 * climate + rng.gauss(0, 0.08), -0.2, 0.25)
                else:
                    eff = clamp(owner_shift + climate + rng.gauss(0, 0.08), -0.3, 0.3)
                for y in YEARS:
                    if not self.active(u, y):
                        continue
                    year_noise = rng.gauss(0, 0.04 if ind != "eu_mobbing" else 0.02)
                    cells = self.eu_cells(ind, eff + year_noise, y, u["eu_parts"][y], drift)
                    if not cells:
                        continue
                    missing = self.is_missing(u, ind, y)
                    if not missing:  # a unit without data does not count in the owner's value
                        self.latent[(ind, u["org"], y)] = cells
                    shown = {g: c for g, c in cells.items()
                             if g in unit_groups and (u["stage"] != "upper_secondary" or g == "all")}
                    self.emit(ind, "unit", u["org"], y, shown, missing=missing)
        self.gen_owner_aggregates(EU_CODES, noise=0.04)
        for ind in EU_CODES:
            for y in YEARS:
                for area in self.used_counties(y) + ["nation"]:
                    p = AREA_PROFILE[area]
                    parts = {t: round(p["trinn"] * EU_PARTICIPATION[t] * rng.uniform(0.97, 1.03))
                             for t in range(5, 11)}
                    parts["vg"] = round(p["vg"] * rng.uniform(0.97, 1.03))
                    shift = p["eu"] + (rng.gauss(0, 0.015) if area != "nation" else 0.0)
                    cells = self.eu_cells(ind, shift, y, parts, drift, sampling=False)
                    level, code = ("nation", "") if area == "nation" else ("county", area)
                    self.emit(ind, level, code, y, cells)

    def used_counties(self, year):
        """Counties of the owners that have codes in this school year (the ones worth values)."""
        return sorted({owner_code(o[0], year)[:2] for o in OWNERS if owner_code(o[0], year)})

    def gen_owner_aggregates(self, indicators, noise):
        """Published owner value = n-weighted mean over ALL the owner's units (suppressed ones too),
        plus a little rounding noise, so it cannot be recomputed from the visible unit values."""
        for ind in indicators:
            for owner, *_ in OWNERS:
                for y in YEARS:
                    code = owner_code(owner, y)
                    if code is None:
                        continue
                    unit_cells = [self.latent[(ind, u["org"], y)] for u in self.owner_units(owner, y)
                                  if (ind, u["org"], y) in self.latent]
                    if not unit_cells:
                        continue
                    groups = [g for g in GROUP_ORDER if any(g in c for c in unit_cells)]
                    cells = {}
                    for g in groups:
                        v, n = wmean([c[g] for c in unit_cells if g in c])
                        cells[g] = (v + self.rng.uniform(-noise, noise), n)
                    self.emit(ind, "owner", code, y, cells)

    # ---------------------------------------------------------------- Nasjonale prøver, GSP
    def gen_np_gsp(self):
        rng = self.rng
        for u in self.units:
            if u["kind"] != "school" or u["stage"] == "upper_secondary":
                continue
            academic = rng.gauss(0, 1.8)
            profile = OWNER_PROFILE[u["owner"]]
            np_eff = {s: clamp(profile["np"] + academic + rng.gauss(0, 1.2), -5.5, 5.5)
                      for s in ("lesing", "regning", "engelsk")}
            gsp_eff = clamp(profile["gsp"] + 0.6 * academic + rng.gauss(0, 1.0), -4.5, 3.3)
            for y in YEARS:
                if not self.active(u, y):
                    continue
                pupils = u["pupils"][y]
                for ind, (subject, trinn, sex) in NP_MODEL.items():
                    if trinn not in pupils:
                        continue
                    n = pupils[trinn] if u["size"] == SMALL else round(pupils[trinn] * rng.uniform(0.9, 0.98))
                    base = 50 + np_eff[subject] + (0.4 if trinn == 9 else 0) + rng.gauss(0, 0.8)
                    cells = shift_into(split_sexes(rng, base, n, sex, 10.0), 44.0, 56.0)
                    missing = self.is_missing(u, ind, y)
                    if not missing:
                        self.latent[(ind, u["org"], y)] = cells
                    self.emit(ind, "unit", u["org"], y, cells, missing=missing)
                if 10 in pupils:
                    n = pupils[10] if u["size"] == SMALL else round(pupils[10] * rng.uniform(0.95, 1.0))
                    base = GSP_NATION[y] + gsp_eff + rng.gauss(0, 0.5)
                    cells = shift_into(split_sexes(rng, base, n, GSP_SEX, 8.0), 38.0, 47.0)
                    missing = self.is_missing(u, "grunnskolepoeng", y)
                    if not missing:
                        self.latent[("grunnskolepoeng", u["org"], y)] = cells
                    self.emit("grunnskolepoeng", "unit", u["org"], y, cells, missing=missing)
        self.gen_owner_aggregates(list(NP_MODEL), noise=0.3)
        self.gen_owner_aggregates(["grunnskolepoeng"], noise=0.2)
        for y in YEARS:
            for area in self.used_counties(y) + ["nation"]:
                p = AREA_PROFILE[area]
                level, code = ("nation", "") if area == "nation" else ("county", area)
                for ind, (subject, trinn, sex) in NP_MODEL.items():
                    n = round(p["trinn"] * rng.uniform(0.94, 0.98))
                    if area == "nation":  # the scale is defined by the nation: exactly 50
                        wj = 0.49
                        cells = {"all": (50.0, n), "kjonn=jenter": (50 + (1 - wj) * sex, round(n * wj)),
                                 "kjonn=gutter": (50 - wj * sex, n - round(n * wj))}
                    else:
                        cells = split_sexes(rng, 50 + p["np"] + rng.gauss(0, 0.3), n, sex, 0.0)
                    self.emit(ind, level, code, y, cells)
                n = round(p["trinn"] * rng.uniform(0.96, 0.99))
                base = GSP_NATION[y] + (p["gsp"] + rng.gauss(0, 0.15) if area != "nation" else 0)
                cells = split_sexes(rng, base, n, GSP_SEX, 0.0)
                if area == "nation":
                    cells = shift_to(cells, GSP_NATION[y])
                self.emit("grunnskolepoeng", level, code, y, cells)

    # ---------------------------------------------------------------- Foreldrenes utdanningsnivå
    def gen_parents(self):
        rng, ind = self.rng, "foreldre_hoyere_utdanning"
        for u in self.units:
            if u["kind"] != "school" or u["stage"] == "upper_secondary":
                continue
            eff = rng.gauss(0, 6.0)
            for y in YEARS:
                if self.active(u, y):
                    n = sum(u["pupils"][y].values())
                    v = clamp(OWNER_PROFILE[u["owner"]]["parents"] + eff + 0.4 * (y - 2021)
                              + rng.gauss(0, 1.0), 12.0, 90.0)
                    self.latent[(ind, u["org"], y)] = {"all": (v, n)}
                    self.emit(ind, "unit", u["org"], y, {"all": (v, n)})
        self.gen_owner_aggregates([ind], noise=0.5)
        for y in YEARS:
            n = round(AREA_PROFILE["nation"]["trinn"] * 10 * rng.uniform(0.99, 1.01))
            self.emit(ind, "nation", "", y, {"all": (47.5 + 0.4 * (y - 2021), n)})

    # ---------------------------------------------------------------- Kulturskole: GSI and KOSTRA
    def arts_year(self, profile, y, trend):
        """One year of kulturskole figures for a municipality, county or the nation."""
        rng, k = self.rng, y - 2021
        pop = round(profile["pop"] * (1 + trend * k) * rng.uniform(0.995, 1.005))
        share = clamp(profile["share"] + 0.15 * k + rng.gauss(0, 0.5), 3, 40)
        wait = clamp(profile["wait"] + rng.gauss(0, 0.4), 0.2, 15)
        cost = profile["cost"] * 1.045 ** k * rng.uniform(0.97, 1.03)
        in_6_15 = round(pop * share / 100)
        pupils = round(in_6_15 * rng.uniform(1.12, 1.22))
        girls = round(pupils * rng.uniform(0.58, 0.63))
        total_places = pupils * rng.uniform(1.08, 1.18)  # some pupils have more than one place
        places = {}
        for key, _, mean_share in GSI_PLACES:
            if mean_share == 0:  # samiske kulturfag: only a national figure here
                places[key] = round(total_places * 0.0025) if pop > 500000 else 0
            else:
                places[key] = round(total_places * mean_share * rng.uniform(0.85, 1.15))
        return dict(pop=pop, share=100 * in_6_15 / pop, wait=wait, cost=cost, pupils=pupils,
                    girls=girls, waiting=round(pop * wait / 100 * rng.uniform(1.05, 1.15)),
                    places=places, fte=pupils / rng.uniform(40, 48),
                    hours=round(places["musikk"] * rng.uniform(15, 19)))

    def emit_gsi(self, level, code, y, f):
        self.emit("gsi_elever", level, code, y, {"all": (f["pupils"], None),
                                                 "kjonn=jenter": (f["girls"], None),
                                                 "kjonn=gutter": (f["pupils"] - f["girls"], None)})
        self.emit("gsi_venteliste", level, code, y, {"all": (f["waiting"], None)})
        for key, *_ in GSI_PLACES:
            self.emit(f"gsi_plasser_{key}", level, code, y, {"all": (f["places"][key], None)})
        self.emit("gsi_arsverk", level, code, y, {"all": (f["fte"], None)})
        self.emit("gsi_timer_musikk", level, code, y, {"all": (f["hours"], None)})

    def emit_kostra(self, level, code, y, f, missing_cells=()):
        self.emit("kostra_andel_elever_6_15", level, code, y, {"all": (f["share"], f["pop"])})
        self.emit("kostra_andel_venteliste", level, code, y, {"all": (f["wait"], f["pop"])})
        self.emit("kostra_netto_driftsutgift", level, code, y, {"all": (f["cost"], None)},
                  missing="kostra_netto_driftsutgift" in missing_cells)

    def gen_arts(self):
        rng = self.rng
        self.arts_pupils = {}
        for owner in MUNICIPALITIES:
            profile, trend = ARTS_PROFILE[owner], rng.uniform(-0.008, 0.01)
            (school,) = [u for u in self.units
                         if u["owner"] == owner and u["kind"] == "arts_school" and "extra" not in u]
            for y in YEARS:
                f = self.arts_year(profile, y, trend)
                self.arts_pupils[(owner, y)] = f["pupils"]
                # one kulturskole per municipality: the unit's GSI figures are the owner's
                self.emit_gsi("unit", school["org"], y, f)
                self.emit_gsi("owner", owner_code(owner, y), y, f)
                missing = {i for o, i, yy in MISSING_OWNER_CELLS if o == owner and yy == y}
                self.emit_kostra("owner", owner_code(owner, y), y, f, missing)
        for y in YEARS:
            for county in self.used_counties(y):
                self.emit_kostra("county", county, y, self.arts_year(AREA_PROFILE[county], y, 0.004))
            f = self.arts_year(AREA_PROFILE["nation"], y, 0.003)
            self.emit_gsi("nation", "", y, f)
            self.emit_kostra("nation", "", y, f)

    def gen_arts_surveys(self):
        """Local surveys: raw per-kulturskole values and n, NOT pre-suppressed (Varde suppresses)."""
        for owner in MUNICIPALITIES:
            (school,) = [u for u in self.units
                         if u["owner"] == owner and u["kind"] == "arts_school" and "extra" not in u]
            self.emit_survey(self.rng, school, lambda y, owner=owner: self.arts_pupils[(owner, y)],
                             lambda prefix, y, owner=owner: SURVEY_N_OVERRIDE.get((owner, prefix, y)))
        for school in [u for u in self.units if "extra" in u]:
            owner = school["owner"]
            self.emit_survey(
                self.extra_rng, school,
                lambda y, owner=owner, school=school: self.arts_pupils[(owner, y)] * school["extra"],
                lambda prefix, y, school=school: EXTRA_SURVEY_N_OVERRIDE.get((school["name"], prefix, y)))

    def emit_survey(self, rng, school, pupils_in, n_override):
        """One kulturskole's pupil and parent surveys over the years: a response that grows with the
        square root of the school (unless overridden), values around the national means."""
        owner = school["owner"]
        effects = {code: rng.gauss(0, 0.22) for code in SURVEY}
        for y in YEARS:
            for prefix, rate in (("ke_", (1.4, 2.4)), ("kf_", (1.2, 2.2))):
                drawn = clamp(round(math.sqrt(pupils_in(y)) * rng.uniform(*rate)), 15, 120)
                overridden = n_override(prefix, y)
                n = drawn if overridden is None else overridden
                for code, mean in SURVEY.items():
                    if not code.startswith(prefix):
                        continue
                    v = soft_bound(mean + effects[code] + 0.02 * (y - 2021)
                                   + rng.gauss(0, 0.6 / math.sqrt(n)), 1.0, 4.9)
                    if (owner, prefix, y) not in SURVEY_ABSENT:
                        self.emit(code, "unit", school["org"], y,
                                  survey_by_gender(school["org"], code, y, v, n))

    # ---------------------------------------------------------------- selections
    def build_selections(self):
        rng = self.rng
        sels, members = [], []

        def add(key, name, year, scope, owner, units):
            month, day = rng.randint(2, 6), rng.randint(1, 28)
            hour, minute = rng.randint(6, 15), rng.choice((0, 15, 30, 45))
            stamp = f"{year + 1}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00Z"
            sels.append((key, name, year, scope, owner or "", stamp))
            members.extend((key, u["org"]) for u in units)

        for owner in MUNICIPALITIES:
            for y in YEARS:
                add(f"{owner}-{y}", f"{self.owner_name[owner]} ({year_label(y)})", y, "owner", owner,
                    self.owner_units(owner, y))
        for y in (2024, 2025):
            add(f"nasjonalt-{y}", f"Nasjonalt ({year_label(y)})", y, "national", None,
                [u for u in self.units if self.active(u, y)])
        add("kulturskolenettverk-buskerud-2025", "Kulturskolenettverk Buskerud (25-26)", 2025, "network",
            None, [u for u in self.units
                   if u["kind"] == "arts_school" and u["owner"] in ("kongsberg", "drammen")])
        add("rogaland_fk-2025", "Rogaland fylkeskommune (25-26)", 2025, "owner", "rogaland_fk",
            self.owner_units("rogaland_fk", 2025))
        self.selections, self.selection_members = sels, members

    # ---------------------------------------------------------------- run
    def run(self):
        self.build_registry()
        self.build_populations()
        self.gen_eu()
        self.gen_np_gsp()
        self.gen_parents()
        self.gen_arts()
        self.gen_arts_surveys()
        self.build_selections()

    def tables(self):
        ind_index = {i["code"]: k for k, i in enumerate(self.indicators)}

        def sort_key(item):
            (ind, level, code, year, group), _ = item
            return (ind_index[ind], LEVEL_ORDER.index(level), code, year, GROUP_ORDER.index(group))

        opt = lambda x: "" if x is None else x  # noqa: E731
        return {
            "counties.csv": (["county_number", "name", "valid_from", "valid_to"],
                             [(c, n, opt(f), opt(t)) for c, n, f, t in COUNTIES]),
            "owners.csv": (["key", "kind", "name", "org_number", "county_number"],
                           [(k, kind, name, self.owner_orgnr[k], county)
                            for k, kind, name, county in OWNERS]),
            "owner_codes.csv": (["owner_key", "code", "valid_from", "valid_to"],
                                [(o, c, opt(f), opt(t)) for o, c, f, t in OWNER_CODES]),
            "units.csv": (["org_number", "name", "kind", "stage", "owner_key", "active_from", "active_to"],
                          [(u["org"], u["name"], u["kind"], opt(u["stage"]), u["owner"], opt(u["start"]),
                            opt(u["end"])) for u in self.units]),
            "school_years.csv": (["year"], [(y,) for y in YEARS]),
            "data_sources.csv": (["code", "name", "publisher", "description", "sensitivity",
                                  "suppression_threshold", "min_group_size"],
                                 [(*source, MIN_GROUP_SIZE) for source in DATA_SOURCES]),
            "indicators.csv": (INDICATOR_COLUMNS,
                               [[i[c] for c in INDICATOR_COLUMNS] for i in self.indicators]),
            "values.csv": (["indicator_code", "subject_level", "subject_code", "school_year", "group",
                            "value", "n", "suppressed"],
                           [(*key, v, n, "true" if s else "false")
                            for key, (v, n, s) in sorted(self.values.items(), key=sort_key)]),
            "selections.csv": (["key", "name", "school_year", "scope", "owner_key", "last_updated"],
                               self.selections),
            "selection_members.csv": (["selection_key", "org_number"], self.selection_members),
        }


def build_indicators():
    rows = []

    def add(code, name, description, source, category, uom, direction, decimals, applies_to,
            lo="", hi="", mode="none", green="", red="", margin=""):
        rows.append(dict(code=code, name=name, description=description, source_code=source,
                         category=category, unit_of_measure=uom, direction=direction, decimals=decimals,
                         applies_to=applies_to, min_value=lo, max_value=hi, colour_mode=mode,
                         colour_green=green, colour_red=red, colour_margin=margin))

    for code, name, what, _mean, _gap, _sex, green, red in EU_MODEL:
        direction = "lower_is_better" if code == "eu_mobbing" else "higher_is_better"
        add(code, name, f"Elevundersøkelsen, indeks 1-5: {what}.", "udir-elevundersokelsen",
            "prosess", "index", direction, 1, "school", 1, 5, "absolute", green, red)
    subject_names = {"lesing": "lesing", "regning": "regning", "engelsk": "engelsk"}
    for code, (subject, trinn, _sex) in NP_MODEL.items():
        add(code, f"Nasjonale prøver {subject_names[subject]}, {trinn}. trinn",
            f"Gjennomsnittlig skalapoeng på nasjonal prøve i {subject}, {trinn}. trinn "
            f"(nasjonalt snitt 50, standardavvik 10).", "udir-nasjonale-prover", "resultat",
            "scale_points", "higher_is_better", 1, "school", mode="relative_national", margin=2)
    add("grunnskolepoeng", "Grunnskolepoeng",
        "Gjennomsnittlige grunnskolepoeng: snittet av alle standpunkt- og eksamenskarakterer "
        "etter 10. trinn ganget med 10.", "udir-grunnskolepoeng", "resultat", "points",
        "higher_is_better", 1, "school", 10, 60, "relative_national", margin=1.5)
    add("foreldre_hoyere_utdanning", "Foreldrenes utdanningsnivå",
        "Andel av elevenes foreldre med universitets- eller høgskoleutdanning (prosent).",
        "ssb-utdanningsniva", "forutsetning", "percent", "neutral", 1, "school", 0, 100)
    for model, source, survey in ((KE_MODEL, "kulturskole-elevundersokelse", "Elevundersøkelsen"),
                                  (KF_MODEL, "kulturskole-foreldreundersokelse", "Foreldreundersøkelsen")):
        for code, name, what, _mean, green, red, category in model:
            add(code, name, f"{survey} for kulturskolen, indeks 1-5: {what}.", source, category,
                "index", "higher_is_better", 2, "arts_school", 1, 5, "absolute", green, red)
    add("gsi_elever", "Elever i kulturskolen",
        "Antall elever i kulturskolen per 1. oktober (GSI).", "gsi", "forutsetning", "count",
        "neutral", 0, "arts_school", 0)
    add("gsi_venteliste", "Elever på venteliste",
        "Antall søkere på venteliste til kulturskolen per 1. oktober (GSI).", "gsi", "forutsetning",
        "count", "neutral", 0, "arts_school", 0)
    for key, name, _ in GSI_PLACES:
        add(f"gsi_plasser_{key}", f"Elevplasser i {name}",
            f"Antall elevplasser i {name} per 1. oktober (GSI).", "gsi", "forutsetning", "count",
            "neutral", 0, "arts_school", 0)
    add("gsi_arsverk", "Årsverk i kulturskolen",
        "Årsverk (lærere og ledelse) i kulturskolen per 1. oktober (GSI).", "gsi", "forutsetning",
        "fte", "neutral", 1, "arts_school", 0)
    add("gsi_timer_musikk", "Årstimer i musikk",
        "Antall årstimer (60 min) undervisning i musikk i kulturskolen (GSI).", "gsi", "forutsetning",
        "hours", "neutral", 0, "arts_school", 0)
    add("kostra_andel_elever_6_15", "Andel barn 6-15 år i kulturskolen",
        "Andel av barn i grunnskolealder (6-15 år) som er elever i kommunens kulturskole (KOSTRA).",
        "ssb-kostra", "forutsetning", "percent", "higher_is_better", 1, "arts_school", 0, 100,
        "relative_national", margin=2)
    add("kostra_andel_venteliste", "Andel barn 6-15 år på venteliste",
        "Andel av barn i grunnskolealder (6-15 år) som står på venteliste til kulturskolen (KOSTRA).",
        "ssb-kostra", "forutsetning", "percent", "lower_is_better", 1, "arts_school", 0, 100,
        "relative_national", margin=1)
    add("kostra_netto_driftsutgift", "Netto driftsutgifter til kulturskolen per innbygger 6-15 år",
        "Kommunens netto driftsutgifter til kulturskolen per innbygger 6-15 år, i kroner (KOSTRA).",
        "ssb-kostra", "forutsetning", "nok", "neutral", 0, "arts_school")
    return rows


# =============================================================================================
# Output and validation
# =============================================================================================

def write_tables(tables):
    for filename, (header, rows) in tables.items():
        with open(OUT_DIR / filename, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)


def read_back(filename):
    with open(OUT_DIR / filename, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def validate():
    """Re-read the written files and check the rules the Rust loader enforces."""
    opt_int = lambda s: int(s) if s != "" else None  # noqa: E731
    counties = read_back("counties.csv")
    owners = read_back("owners.csv")
    codes = read_back("owner_codes.csv")
    units = read_back("units.csv")
    years = {int(r["year"]) for r in read_back("school_years.csv")}
    sources = {r["code"]: r for r in read_back("data_sources.csv")}
    indicators = {r["code"]: r for r in read_back("indicators.csv")}
    values = read_back("values.csv")
    selections = read_back("selections.csv")
    members = read_back("selection_members.csv")

    def county_valid(number, year):
        return any(c["county_number"] == number and in_range(year, opt_int(c["valid_from"]),
                                                           opt_int(c["valid_to"])) for c in counties)

    # identifiers
    orgnrs = [o["org_number"] for o in owners] + [u["org_number"] for u in units]
    assert len(orgnrs) == len(set(orgnrs)), "duplicate organisasjonsnummer"
    for nr in orgnrs:
        assert valid_orgnr(nr) and nr[0] in "89", nr
    for c in counties:
        assert re.fullmatch(r"\d\d", c["county_number"]), c
    owner_by_key = {o["key"]: o for o in owners}
    assert len(owner_by_key) == len(owners)
    for o in owners:
        assert o["kind"] in {"municipality", "county_municipality", "private", "state"}, o
        assert county_valid(o["county_number"], 2026), o
    for c in codes:
        owner = owner_by_key[c["owner_key"]]
        assert owner["kind"] != "private", c
        expected = 4 if owner["kind"] == "municipality" else 2
        assert re.fullmatch(r"\d{%d}" % expected, c["code"]), c
        lo, hi = opt_int(c["valid_from"]) or 1990, opt_int(c["valid_to"]) or 2030
        for year in range(lo, hi + 1):  # the fylke prefix must exist whenever the code does
            assert county_valid(c["code"][:2], year), (c, year)
    for o in owners:  # current code matches the current county
        current = [c["code"] for c in codes if c["owner_key"] == o["key"]
                   and in_range(2026, opt_int(c["valid_from"]), opt_int(c["valid_to"]))]
        assert len(current) <= 1 and all(code[:2] == o["county_number"] for code in current), o

    def code_owner(code, year):
        hits = [c["owner_key"] for c in codes if c["code"] == code
                and in_range(year, opt_int(c["valid_from"]), opt_int(c["valid_to"]))]
        return hits[0] if len(hits) == 1 else None

    unit_by_org = {u["org_number"]: u for u in units}
    for u in units:
        assert u["owner_key"] in owner_by_key, u
        assert u["kind"] in {"school", "kindergarten", "arts_school"}, u
        if u["kind"] == "school":
            assert u["stage"] in {"primary", "lower_secondary", "combined", "upper_secondary"}, u
        else:
            assert u["stage"] == "", u

    def active(u, year):
        return in_range(year, opt_int(u["active_from"]), opt_int(u["active_to"]))

    # indicators
    for i in indicators.values():
        assert i["source_code"] in sources, i
        assert i["category"] in {"forutsetning", "prosess", "resultat"}, i
        assert i["unit_of_measure"] in {"index", "scale_points", "points", "percent", "count", "hours",
                                        "fte", "nok"}, i
        assert i["direction"] in {"higher_is_better", "lower_is_better", "neutral"}, i
        assert i["colour_mode"] in {"absolute", "relative_national", "relative_owner", "none"}, i
        assert set(i["applies_to"].split("|")) <= {"school", "kindergarten", "arts_school"}, i
        if i["colour_mode"] == "absolute":
            g, r = float(i["colour_green"]), float(i["colour_red"])
            assert (g > r) if i["direction"] == "higher_is_better" else (g < r), i
        if i["colour_mode"].startswith("relative"):
            assert float(i["colour_margin"]) > 0, i
    for s in sources.values():
        assert s["sensitivity"] in {"public", "restricted"} and int(s["suppression_threshold"]) > 0, s

    # values
    seen, coverage = set(), set()
    group_re = re.compile(r"all|trinn=\d+(;kjonn=(jenter|gutter))?|kjonn=(jenter|gutter)")
    for v in values:
        key = (v["indicator_code"], v["subject_level"], v["subject_code"], v["school_year"], v["group"])
        assert key not in seen, f"duplicate value row {key}"
        seen.add(key)
        ind = indicators[v["indicator_code"]]
        year = int(v["school_year"])
        assert year in years, v
        coverage.add((v["indicator_code"], year))
        assert group_re.fullmatch(v["group"]), v
        level, code = v["subject_level"], v["subject_code"]
        if level == "unit":
            unit = unit_by_org[code]
            assert active(unit, year), v
            assert unit["kind"] in ind["applies_to"].split("|"), v
        elif level == "owner":
            owner = code_owner(code, year + 1)
            assert owner is not None and owner_by_key[owner]["kind"] != "private", v
        elif level == "county":
            assert county_valid(code, year + 1), v
        else:
            assert level == "nation" and code == "", v
        assert v["suppressed"] in {"true", "false"}, v
        if v["suppressed"] == "true":
            assert v["value"] == "" and v["n"] == "", v
        if v["value"] != "":
            decimals = int(ind["decimals"])
            assert re.fullmatch(r"-?\d+" + (r"\.\d{%d}" % decimals if decimals else ""), v["value"]), v
            if ind["min_value"] != "":
                assert float(ind["min_value"]) <= float(v["value"]), v
            if ind["max_value"] != "":
                assert float(v["value"]) <= float(ind["max_value"]), v
            threshold = int(sources[ind["source_code"]]["suppression_threshold"])
            if ind["source_code"] in PRESUPPRESSED_SOURCES:
                assert v["n"] != "" and int(v["n"]) >= threshold, v
        if v["n"] != "":
            assert int(v["n"]) > 0, v
    for i in indicators:
        for y in years:
            assert (i, y) in coverage, f"no values for {i} in {y}"

    # selections
    sel_by_key = {s["key"]: s for s in selections}
    assert len(sel_by_key) == len(selections)
    for s in selections:
        assert s["scope"] in {"owner", "national", "network"}, s
        assert int(s["school_year"]) in years, s
        assert (s["owner_key"] in owner_by_key) if s["scope"] == "owner" else s["owner_key"] == "", s
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s["last_updated"]), s
        assert s["name"].endswith(f"({year_label(int(s['school_year']))})"), s
    assert len({(m["selection_key"], m["org_number"]) for m in members}) == len(members)
    for m in members:
        s, u = sel_by_key[m["selection_key"]], unit_by_org[m["org_number"]]
        assert active(u, int(s["school_year"])), m
        if s["scope"] == "owner":
            assert u["owner_key"] == s["owner_key"], m

    for path in OUT_DIR.glob("*.csv"):
        assert path.stat().st_size < MAX_FILE_BYTES, path
    return {name: len(read_back(name)) for name in sorted(p.name for p in OUT_DIR.glob("*.csv"))}


def main():
    generator = Generator()
    generator.run()
    write_tables(generator.tables())
    counts = validate()
    for name, count in counts.items():
        print(f"{name:24} {count:6d} rows")
    print("validation passed")


if __name__ == "__main__":
    main()

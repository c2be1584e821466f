#!/usr/bin/env python3
"""Issue 15's benchmark, driven by bench/run.sh (which builds, installs the tools and starts PostgreSQL).

Generates the data set into PostgreSQL and SQLite, starts Varde on each, checks every system's
answers against the floor's (hand-written SQL) and then measures each workload with oha (Varde,
PostGraphile) and pgbench (the floor) at each client count. Writes a Markdown table.
Standard library only.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

YEAR = 2024
UNIT_YEARS = [2021, 2022, 2023, 2024, 2025]
# (a) 20 indicators of a school colour table: Elevundersøkelsen's 12 and nasjonale prøver's 8.
COLOUR = ["eu_trivsel", "eu_stotte_larere", "eu_stotte_hjemme", "eu_faglig_utfordring",
          "eu_vurdering_for_laering", "eu_laeringskultur", "eu_mestring", "eu_motivasjon",
          "eu_elevdemokrati", "eu_felles_regler", "eu_utdanningsveiledning", "eu_mobbing",
          "np_lesing_5", "np_regning_5", "np_engelsk_5", "np_lesing_8", "np_regning_8",
          "np_engelsk_8", "np_lesing_9", "np_regning_9"]
# (b) the kulturskole surveys, computed by Varde for every owner and the nation.
ARTS = ["ke_trivsel", "ke_motivasjon", "ke_mestring", "ke_laererstotte", "ke_medvirkning",
        "ke_framforing", "kf_informasjon", "kf_samarbeid_hjem", "kf_tilfredshet",
        "kf_elevens_utvikling"]
LARGEST = "0301"
# Who asks each workload: (a) anyone; (b) Norsk kulturskoleråd's national reader; (c) an owner
# reader of the largest kommune, since a unit's assessments and initiatives are its owner's to read
# (the generator grants the role; src/generate.rs, OWNER_READER).
CALLERS = {"a": None, "b": "analytiker@kulturskoleradet.no", "c": "radgiver@kommune0.example"}


def log(*args):
    print("bench:", *args, file=sys.stderr, flush=True)


def sql_list(codes):
    return ", ".join(f"'{c}'" for c in codes)


class Pg:
    def __init__(self, url):
        self.url = url

    def rows(self, sql):
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-d", self.url, "-c", sql],
                             check=True, capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def one(self, sql):
        return self.rows(sql)[0][0]


def num(text):
    return None if text in ("", None) else float(text)


def post(url, query, token=None, timeout=120):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps({"query": query}).encode(), headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.load(response)
    if answer.get("errors"):
        raise SystemExit(f"bench: {url} answered errors: {json.dumps(answer['errors'])[:800]}")
    return answer["data"]


def wait_http(url, process, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"bench: server for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.2)
    raise SystemExit(f"bench: {url} did not answer within {seconds} s")


def vm_hwm_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def children(pid):
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]
    except FileNotFoundError:
        return []


def stop(process):
    if process and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Bench:
    def __init__(self, args):
        self.args = args
        self.pg = Pg(args.pg_url)
        self.work = args.work or tempfile.mkdtemp(prefix="varde-bench.")
        self.results = []  # (system, workload, clients, rps, p50_ms, p99_ms)
        self.notes = {}
        self.imports = []

    # ---- data ----
    def generate(self):
        for name, url in (("PostgreSQL", self.args.pg_url), ("SQLite", self.sqlite_url())):
            started = time.time()
            out = subprocess.run([self.args.varde, "--database-url", url, "generate", "--scale",
                                  self.args.scale], check=True, capture_output=True, text=True)
            line = out.stdout.strip().splitlines()[-1]
            log(f"{name}: {line} (whole command {time.time() - started:.1f} s)")
            self.notes[f"import {name}"] = line
        self.tokens_pg = self.tokens(self.args.pg_url)
        self.tokens_sqlite = self.tokens(self.sqlite_url())

    def sqlite_url(self):
        return f"sqlite:{self.args.sqlite}"

    def tokens(self, url):
        """A bearer token per workload, for its caller in CALLERS."""
        def token(user):
            out = subprocess.run([self.args.varde, "--database-url", url, "create-token", "--user",
                                  user, "--days", "1"], check=True, capture_output=True, text=True)
            return out.stdout.strip().splitlines()[-1]
        return {w: user and token(user) for w, user in CALLERS.items()}

    def resolve(self):
        pg = self.pg
        self.owner_id = pg.one(f"SELECT owner_id FROM owner_codes WHERE code = '{LARGEST}'")
        self.unit_id, self.unit_org = pg.rows(
            f"SELECT u.id, u.org_number FROM units u JOIN indicator_values v ON v.unit_id = u.id "
            f"WHERE u.owner_id = {self.owner_id} AND u.kind = 'school' "
            f"AND EXISTS (SELECT 1 FROM initiatives n WHERE n.unit_id = u.id) "
            f"AND v.school_year BETWEEN {UNIT_YEARS[0]} AND {UNIT_YEARS[-1]} "
            f"GROUP BY u.id ORDER BY count(*) DESC, u.id LIMIT 1")[0]
        self.ids = dict(pg.rows("SELECT code, id FROM indicators"))
        self.threshold = dict(pg.rows(
            "SELECT i.code, s.suppression_threshold FROM indicators i JOIN data_sources s ON s.id = i.source_id"))
        counts = pg.rows("SELECT (SELECT count(*) FROM owners), (SELECT count(*) FROM units), "
                         "(SELECT count(*) FROM units WHERE kind = 'school'), "
                         "(SELECT count(*) FROM units WHERE kind = 'kindergarten'), "
                         "(SELECT count(*) FROM units WHERE kind = 'arts_school'), "
                         "(SELECT count(*) FROM indicators), (SELECT count(*) FROM school_years), "
                         "(SELECT count(*) FROM indicator_values), "
                         "(SELECT count(*) FROM indicator_values WHERE suppressed), "
                         f"(SELECT count(*) FROM units WHERE owner_id = {self.owner_id} AND kind = 'school'), "
                         "pg_size_pretty(pg_database_size(current_database()))")[0]
        keys = ["owners", "units", "schools", "kindergartens", "arts schools", "indicators",
                "school years", "indicator values", "suppressed values",
                f"schools of {LARGEST} (colour-table rows)", "PostgreSQL database size"]
        self.sizes = dict(zip(keys, counts))
        self.sizes["SQLite file size"] = f"{os.path.getsize(self.args.sqlite) / 2**20:.0f} MB"
        log("data:", self.sizes)

    # ---- the three workloads, per system ----
    def varde_queries(self):
        a = (f'{{ colourTable(rows: {{owner: {{code: "{LARGEST}"}}}}, schoolYear: {YEAR}, '
             f'indicators: {json.dumps(COLOUR)}) {{ rows {{ unit {{ orgNumber name }} '
             f'cells {{ indicator {{ code }} value n colour }} }} '
             f'ownerRow {{ label cells {{ value n colour }} }} nationRow {{ label cells {{ value n colour }} }} }} }}')
        b = (f'{{ artsSchoolAggregation(schoolYear: {YEAR}, indicators: {json.dumps(ARTS)}) {{ '
             f'owners {{ owner {{ code name }} artsSchools aggregates {{ indicator {{ code }} value n suppressionReason }} }} '
             f'nation {{ artsSchools aggregates {{ indicator {{ code }} value n computed membersCounted }} }} }} }}')
        c = (f'{{ unit(by: {{orgNumber: "{self.unit_org}"}}) {{ name orgNumber owner {{ name }} '
             f'values(first: 500, filter: {{schoolYears: {json.dumps(UNIT_YEARS)}}}) {{ edges {{ node {{ '
             f'indicator {{ code }} schoolYear {{ year }} group {{ code }} value n suppressed }} }} }} '
             f'assessments(first: 100) {{ edges {{ node {{ criterion schoolYear {{ year }} current {{ level }} }} }} }} '
             f'initiatives(first: 20) {{ edges {{ node {{ title status latestEvaluation {{ judgement }} }} }} }} }} }}')
        return {"a": a, "b": b, "c": c}

    def peer_queries(self):
        colour_ids = ", ".join(f'"{self.ids[c]}"' for c in COLOUR)
        arts_ids = ", ".join(f'"{self.ids[c]}"' for c in ARTS)
        fields = "nodes { indicatorId value respondents suppressed }"
        a = (f'{{ ownerById(id: "{self.owner_id}") {{ name '
             f'unitsByOwnerId(condition: {{kind: "school"}}, orderBy: PRIMARY_KEY_ASC) {{ nodes {{ orgNumber name '
             f'indicatorValuesByUnitId(condition: {{schoolYear: "{YEAR}", groupCode: "all"}}, '
             f'filter: {{indicatorId: {{in: [{colour_ids}]}}}}) {{ {fields} }} }} }} '
             f'indicatorValuesByOwnerId(condition: {{schoolYear: "{YEAR}", groupCode: "all"}}, '
             f'filter: {{indicatorId: {{in: [{colour_ids}]}}}}) {{ {fields} }} }} '
             f'allIndicatorValues(condition: {{subjectLevel: "nation", schoolYear: "{YEAR}", groupCode: "all"}}, '
             f'filter: {{indicatorId: {{in: [{colour_ids}]}}}}) {{ {fields} }} }}')
        b = (f'{{ allUnits(condition: {{kind: "arts_school"}}, orderBy: PRIMARY_KEY_ASC) {{ nodes {{ ownerId orgNumber '
             f'indicatorValuesByUnitId(condition: {{schoolYear: "{YEAR}", groupCode: "all"}}, '
             f'filter: {{indicatorId: {{in: [{arts_ids}]}}}}) {{ {fields} }} }} }} }}')
        years = ", ".join(f'"{y}"' for y in UNIT_YEARS)
        c = (f'{{ unitById(id: "{self.unit_id}") {{ name orgNumber ownerByOwnerId {{ name }} '
             f'indicatorValuesByUnitId(filter: {{schoolYear: {{in: [{years}]}}}}, orderBy: PRIMARY_KEY_ASC) {{ '
             f'nodes {{ indicatorId schoolYear groupCode value respondents suppressed }} }} '
             f'assessmentsByUnitId(orderBy: PRIMARY_KEY_ASC, first: 100) {{ nodes {{ criterion schoolYear level }} }} '
             f'initiativesByUnitId(orderBy: PRIMARY_KEY_ASC, first: 20) {{ nodes {{ content status '
             f'initiativeEvaluationsByInitiativeId(orderBy: PRIMARY_KEY_DESC, first: 1) {{ nodes {{ judgement }} }} }} }} }} }}')
        return {"a": a, "b": b, "c": c}

    def floor_sql(self):
        year_filter = f"school_year = {YEAR} AND group_code = 'all'"
        a = (f"SELECT u.org_number, i.code, v.value, v.respondents, v.suppressed, 'unit' "
             f"FROM units u LEFT JOIN indicator_values v ON v.unit_id = u.id AND v.{year_filter} "
             f"AND v.indicator_id IN (SELECT id FROM indicators WHERE code IN ({sql_list(COLOUR)})) "
             f"LEFT JOIN indicators i ON i.id = v.indicator_id "
             f"WHERE u.owner_id = {self.owner_id} AND u.kind = 'school' "
             f"UNION ALL SELECT NULL, i.code, v.value, v.respondents, v.suppressed, v.subject_level "
             f"FROM indicator_values v JOIN indicators i ON i.id = v.indicator_id "
             f"WHERE ((v.subject_level = 'owner' AND v.owner_id = {self.owner_id}) OR v.subject_level = 'nation') "
             f"AND v.{year_filter} AND i.code IN ({sql_list(COLOUR)})")
        # (b) what Varde computes, before disclosure control: the n-weighted mean of the visible
        # (not suppressed, n at or above the source's threshold) kulturskole values, per owner and
        # for the nation.
        b = (f"SELECT u.owner_id, i.code, sum(v.value * v.respondents) / sum(v.respondents), "
             f"sum(v.respondents), count(*) "
             f"FROM units u JOIN indicator_values v ON v.unit_id = u.id "
             f"JOIN indicators i ON i.id = v.indicator_id JOIN data_sources s ON s.id = i.source_id "
             f"WHERE u.kind = 'arts_school' AND v.{year_filter} AND i.code IN ({sql_list(ARTS)}) "
             f"AND NOT v.suppressed AND v.respondents >= s.suppression_threshold "
             f"GROUP BY GROUPING SETS ((u.owner_id, i.code), (i.code))")
        c = [f"SELECT i.code, v.school_year, v.group_code, v.value, v.respondents, v.suppressed "
             f"FROM indicator_values v JOIN indicators i ON i.id = v.indicator_id "
             f"WHERE v.unit_id = {self.unit_id} AND v.school_year BETWEEN {UNIT_YEARS[0]} AND {UNIT_YEARS[-1]}",
             f"SELECT criterion, school_year, level FROM assessments WHERE unit_id = {self.unit_id} "
             f"ORDER BY id LIMIT 100",
             f"SELECT n.status, n.content, (SELECT judgement FROM initiative_evaluations e "
             f"WHERE e.initiative_id = n.id ORDER BY e.id DESC LIMIT 1) "
             f"FROM initiatives n WHERE n.unit_id = {self.unit_id} ORDER BY n.id LIMIT 20"]
        return {"a": [a], "b": [b], "c": c}

    # ---- checks against the floor ----
    def visible(self, code, value, n, suppressed):
        if suppressed == "t" or value in ("", None):
            return False
        return n in ("", None) or float(n) >= float(self.threshold[code])

    def check_varde(self, system, answers):
        floor = self.floor_sql()
        # (a)
        rows = self.pg.rows(floor["a"][0])
        units = {r[0] for r in rows if r[5] == "unit"}
        cells = {(r[0], r[1]): r for r in rows if r[5] == "unit" and r[1]}
        table = answers["a"]["colourTable"]
        assert {row["unit"]["orgNumber"] for row in table["rows"]} == units, f"{system} (a): rows differ"
        shown = 0
        for row in table["rows"]:
            for cell in row["cells"]:
                key = (row["unit"]["orgNumber"], cell["indicator"]["code"])
                f = cells.get(key)
                if f and self.visible(key[1], f[2], f[3], f[4]):
                    assert abs(cell["value"] - float(f[2])) < 1e-9 and cell["n"] == int(f[3]), (system, key, cell, f)
                    shown += 1
                else:
                    assert cell["value"] is None, (system, key, cell, f)
        for label, level in (("ownerRow", "owner"), ("nationRow", "nation")):
            published = {r[1]: float(r[2]) for r in rows if r[5] == level}
            got = [c["value"] for c in table[label]["cells"]]
            assert got == [published.get(code) for code in COLOUR], (system, label, got, published)
        # (b)
        agg = self.pg.rows(floor["b"][0])
        nation = {r[1]: (float(r[2]), int(r[3])) for r in agg if r[0] == ""}
        by_owner = {(r[0], r[1]): (float(r[2]), int(r[3])) for r in agg if r[0] != ""}
        owner_ids = dict(self.pg.rows("SELECT code, owner_id FROM owner_codes"))
        result = answers["b"]["artsSchoolAggregation"]
        arts_owners = int(self.pg.one("SELECT count(DISTINCT owner_id) FROM units WHERE kind = 'arts_school'"))
        assert len(result["owners"]) == arts_owners, (system, len(result["owners"]), arts_owners)
        for a in result["nation"]["aggregates"]:
            code = a["indicator"]["code"]
            if a["value"] is not None:
                assert abs(a["value"] - nation[code][0]) < 1e-6 and a["n"] == nation[code][1], (system, a, nation[code])
        owner_shown = 0
        for row in result["owners"]:
            for a in row["aggregates"]:
                if a["value"] is not None:
                    f = by_owner[(owner_ids[row["owner"]["code"]], a["indicator"]["code"])]
                    assert abs(a["value"] - f[0]) < 1e-6 and a["n"] == f[1], (system, row["owner"], a, f)
                    owner_shown += 1
        # (c)
        vals = self.pg.rows(floor["c"][0])
        edges = answers["c"]["unit"]["values"]["edges"]
        assert len(edges) == len(vals), (system, len(edges), len(vals))
        floor_c = {(r[0], int(r[1]), r[2]): r for r in vals}
        for e in edges:
            node = e["node"]
            key = (node["indicator"]["code"], node["schoolYear"]["year"], node["group"]["code"])
            f = floor_c[key]
            if self.visible(key[0], f[3], f[4], f[5]):
                assert abs(node["value"] - float(f[3])) < 1e-9, (system, key, node, f)
            else:
                assert node["value"] is None, (system, key, node, f)
        assessments, initiatives = self.check_unit_work(
            system, answers["c"]["unit"]["assessments"]["edges"], answers["c"]["unit"]["initiatives"]["edges"])
        log(f"{system}: answers agree with the floor: (a) {len(units)} rows, {shown} shown cells; "
            f"(b) {len(result['owners'])} owners, {owner_shown} shown owner aggregates, nation; "
            f"(c) {len(edges)} values, {assessments} assessments, {initiatives} initiatives")

    def check_unit_work(self, system, assessments, initiatives):
        """(c)'s assessments and initiatives against the floor's; returns how many of each."""
        floor = self.floor_sql()["c"]
        levels = sorted((r[0], int(r[1]), int(r[2])) for r in self.pg.rows(floor[1]))
        got = sorted((a["node"]["criterion"], a["node"]["schoolYear"]["year"], a["node"]["current"]["level"])
                     for a in assessments)
        assert got == levels and levels, (system, "(c) assessments", got, levels)
        rows = self.pg.rows(floor[2])
        expected = sorted((json.loads(r[1])["title"], r[0], r[2]) for r in rows)
        got = sorted((i["node"]["title"], i["node"]["status"].lower(),
                      (i["node"]["latestEvaluation"] or {}).get("judgement", "").lower()) for i in initiatives)
        assert got == expected and expected, (system, "(c) initiatives", got, expected)
        return len(levels), len(rows)

    def check_peer(self, answers):
        floor = self.floor_sql()
        rows = self.pg.rows(floor["a"][0])
        cells = {(r[0], r[1]): num(r[2]) for r in rows if r[5] == "unit" and r[1]}
        code_of = {v: k for k, v in self.ids.items()}
        owner = answers["a"]["ownerById"]
        got = {(u["orgNumber"], code_of[v["indicatorId"]]): v["value"]
               for u in owner["unitsByOwnerId"]["nodes"] for v in u["indicatorValuesByUnitId"]["nodes"]}
        assert got == cells, "PostGraphile (a): cells differ"
        assert len(owner["unitsByOwnerId"]["nodes"]) == len({r[0] for r in rows if r[5] == "unit"})
        assert len(answers["a"]["allIndicatorValues"]["nodes"]) == sum(1 for r in rows if r[5] == "nation")
        raw_b = int(self.pg.one(
            f"SELECT count(*) FROM units u JOIN indicator_values v ON v.unit_id = u.id JOIN indicators i "
            f"ON i.id = v.indicator_id WHERE u.kind = 'arts_school' AND v.school_year = {YEAR} "
            f"AND v.group_code = 'all' AND i.code IN ({sql_list(ARTS)})"))
        got_b = sum(len(u["indicatorValuesByUnitId"]["nodes"]) for u in answers["b"]["allUnits"]["nodes"])
        assert got_b == raw_b, ("PostGraphile (b)", got_b, raw_b)
        vals = self.pg.rows(floor["c"][0])
        unit = answers["c"]["unitById"]
        nodes = unit["indicatorValuesByUnitId"]["nodes"]
        assert len(nodes) == len(vals), ("PostGraphile (c)", len(nodes), len(vals))
        assert sorted(num(n["value"]) or 0 for n in nodes) == sorted(num(r[3]) or 0 for r in vals)
        assert sorted((a["criterion"], int(a["schoolYear"]), int(a["level"]))
                      for a in unit["assessmentsByUnitId"]["nodes"]) == sorted(
            (r[0], int(r[1]), int(r[2])) for r in self.pg.rows(self.floor_sql()["c"][1])), "PostGraphile (c) assessments"
        assert len(unit["initiativesByUnitId"]["nodes"]) == len(self.pg.rows(self.floor_sql()["c"][2])), \
            "PostGraphile (c) initiatives"
        log(f"PostGraphile: answers agree with the floor: (a) {len(got)} cells, (b) {got_b} values, (c) {len(nodes)} values")

    # ---- load ----
    def load(self, system, workload, url, query, clients, token=None):
        if not self.args.oha:
            return self.smoke_load(system, workload, url, query, clients, token)
        body = os.path.join(self.work, f"{system}-{workload}.json".replace(" ", "_"))
        with open(body, "w") as f:
            json.dump({"query": query}, f)
        cmd = [self.args.oha, "--no-tui", "--output-format", "json", "-z", f"{self.args.duration}s",
               "-c", str(clients), "-m", "POST", "-H", "content-type: application/json", "-D", body, url]
        if token:
            cmd[1:1] = ["-H", f"authorization: Bearer {token}"]
        out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        codes = out.get("statusCodeDistribution", {})
        ok = codes.get("200", 0)
        bad = {k: v for k, v in codes.items() if k != "200"}
        if bad or out.get("errorDistribution"):
            log(f"{system} {workload} c={clients}: non-200 answers {bad} errors {out.get('errorDistribution')}")
        # Requests oha abandoned at the deadline may still run in the server: one request,
        # waited for, lets them finish before the next cell starts.
        post(url, query, token, timeout=300)
        rps = ok / out["summary"]["total"]
        p = out["latencyPercentiles"]
        self.record(system, workload, clients, rps, p["p50"] * 1000, p["p99"] * 1000)

    def smoke_load(self, system, workload, url, query, clients, token):
        """The smoke run's stand-in for oha (no install in CI): threads posting for the duration.
        Not a measurement; it shows that the server answers every request under concurrency."""
        from concurrent.futures import ThreadPoolExecutor

        deadline = time.time() + self.args.duration

        def worker(_):
            latencies = []
            while time.time() < deadline:
                started = time.time()
                post(url, query, token)
                latencies.append((time.time() - started) * 1000)
            return latencies

        with ThreadPoolExecutor(clients) as pool:
            latencies = sorted(l for part in pool.map(worker, range(clients)) for l in part)
        q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
        self.record(system, workload, clients, len(latencies) / self.args.duration, q[49], q[98])

    def record(self, system, workload, clients, rps, p50, p99):
        self.results.append((system, workload, clients, rps, p50, p99))
        log(f"{system:22} ({workload}) c={clients:<3} {rps:9.1f} req/s  p50 {p50:8.2f} ms  p99 {p99:8.2f} ms")

    def pgbench(self, workload, statements, clients):
        script = os.path.join(self.work, f"floor-{workload}.sql")
        with open(script, "w") as f:
            f.write("".join(sql + ";\n" for sql in statements))
        prefix = os.path.join(self.work, f"pgbench-{workload}-{clients}")
        cmd = ["pgbench", "-n", "-M", "prepared", "-f", script, "-c", str(clients), "-j",
               str(min(clients, 2)), "-T", str(self.args.duration), "-l", f"--log-prefix={prefix}",
               self.args.pg_url]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=self.work).stdout
        latencies = []
        for name in os.listdir(self.work):
            path = os.path.join(self.work, name)
            if path.startswith(prefix + "."):
                with open(path) as f:
                    latencies += [int(line.split()[2]) for line in f if line.strip()]
                os.remove(path)
        tps = next(float(line.split()[2]) for line in out.splitlines() if line.startswith("tps ="))
        latencies.sort()
        q = statistics.quantiles(latencies, n=100, method="inclusive")
        self.record("floor (pgbench)", workload, clients, tps, q[49] / 1000, q[98] / 1000)

    # ---- servers ----
    def start_varde(self, url, port, extra_env=None, log_name="varde"):
        env = dict(os.environ, DATABASE_URL=url, VARDE_ADDR=f"127.0.0.1:{port}", VARDE_RATE_LIMIT="0",
                   VARDE_NO_SEED="true", RUST_LOG="warn")
        env.update(extra_env or {})
        logfile = open(os.path.join(self.work, f"{log_name}.log"), "w")
        process = subprocess.Popen([self.args.varde, "serve"], env=env, stdout=logfile, stderr=logfile,
                                   start_new_session=True)
        wait_http(f"http://127.0.0.1:{port}/readyz", process)
        return process, logfile.name

    def run_varde(self, system, url, port, tokens):
        process, _ = self.start_varde(url, port)
        endpoint = f"http://127.0.0.1:{port}/graphql"
        queries = self.varde_queries()
        answers = {w: post(endpoint, q, tokens[w]) for w, q in queries.items()}
        self.check_varde(system, answers)
        for workload, query in queries.items():
            for clients in self.args.clients:
                self.load(system, workload, endpoint, query, clients, tokens[workload])
        self.notes[f"peak RSS {system}"] = f"{vm_hwm_kb(process.pid) / 1024:.0f} MB"
        stop(process)
        return answers

    def count_statements(self, url, port, tokens):
        process, logname = self.start_varde(url, port, {"RUST_LOG": "warn,sqlx::query=debug"}, "varde-statements")
        endpoint = f"http://127.0.0.1:{port}/graphql"
        counts = {}
        for workload, query in self.varde_queries().items():
            post(endpoint, query, tokens[workload])  # warm: the first request may resolve the token etc.
            time.sleep(0.3)
            before = self.statement_lines(logname)
            post(endpoint, query, tokens[workload])
            time.sleep(0.3)
            counts[workload] = self.statement_lines(logname) - before
        stop(process)
        self.notes["SQL statements per request (Varde, PostgreSQL)"] = ", ".join(
            f"({w}) {n}" for w, n in counts.items())
        log("statements per request:", counts)

    @staticmethod
    def statement_lines(path):
        with open(path) as f:
            return sum(1 for line in f if "sqlx::query" in line and "PRAGMA" not in line)

    def run_peer(self):
        port = self.args.peer_port
        env = dict(os.environ)
        cmd = [os.path.join(self.args.peer_dir, "node_modules", ".bin", "postgraphile"), "-c", self.args.pg_url,
               "--schema", "public", "--host", "127.0.0.1", "--port", str(port),
               "--append-plugins", "postgraphile-plugin-connection-filter", "--disable-query-log",
               "--disable-graphiql", "--cluster-workers", "2"]
        logfile = open(os.path.join(self.work, "postgraphile.log"), "w")
        process = subprocess.Popen(cmd, env=env, stdout=logfile, stderr=logfile, start_new_session=True,
                                   cwd=self.args.peer_dir)
        endpoint = f"http://127.0.0.1:{port}/graphql"
        deadline = time.time() + 120
        while True:
            try:
                post(endpoint, "{ __typename }", timeout=5)
                break
            except SystemExit:
                raise
            except Exception:
                if time.time() > deadline or process.poll() is not None:
                    raise SystemExit("bench: PostGraphile did not start; see " + logfile.name)
                time.sleep(0.5)
        queries = self.peer_queries()
        answers = {w: post(endpoint, q) for w, q in queries.items()}
        self.check_peer(answers)
        for workload, query in queries.items():
            for clients in self.args.clients:
                self.load("PostGraphile 4.14", workload, endpoint, query, clients)
        pids = [process.pid] + children(process.pid)
        pids += [c for p in list(pids) for c in children(p)]
        self.notes["peak RSS PostGraphile 4.14 (all processes)"] = \
            f"{sum(vm_hwm_kb(p) for p in set(pids)) / 1024:.0f} MB over {len(set(pids))} processes"
        stop(process)

    # ---- import throughput (issue 17 point 4: memory flat in the file's size) ----
    def template_file(self, path, rows, year):
        """A Varde CSV template file of `rows` rows: every unit x every indicator of the varde-mal
        rules, school years from `year` on (beyond the generated ones and the previous file's, so
        every row is new), the group all, a value and n varying with the row. Returns the file's
        size and the first school year it leaves free."""
        indicators = [r[0] for r in self.pg.rows(
            "SELECT r.source_code FROM import_rules r JOIN import_sources s ON s.id = r.source_id "
            "WHERE s.name = 'varde-mal' AND r.kind = 'indicator' ORDER BY r.source_code")]
        units = [r[0] for r in self.pg.rows("SELECT org_number FROM units ORDER BY id")]
        written = 0
        with open(path, "w", encoding="utf-8") as f:
            f.write("subject;name;indicator;school_year;group;value;n;suppressed\n")
            while written < rows:
                for indicator in indicators:
                    for org in units:
                        if written == rows:
                            break
                        f.write(f"{org};;{indicator};{year};all;{written % 97},5;{20 + written % 300};\n")
                        written += 1
                year += 1
        return os.path.getsize(path), year

    def import_once(self, name, url, path):
        """Runs `varde import` on `path`; returns (seconds, peak RSS in KB) of the importer."""
        out_path, err_path = path + ".out", path + ".err"
        # Output to files, not pipes: wait4 reads nothing while the importer runs.
        with open(out_path, "w") as out_file, open(err_path, "w") as err_file:
            started = time.time()
            process = subprocess.Popen([self.args.varde, "--database-url", url, "import", "--source",
                                        "varde-mal", path], stdout=out_file, stderr=err_file)
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.time() - started
        with open(out_path) as out_file, open(err_path) as err_file:
            out, err = out_file.read(), err_file.read()[-4000:]
        if os.waitstatus_to_exitcode(status) != 0 or "applied" not in out:
            raise SystemExit(f"bench: import into {name} failed:\n{out}\n{err}")
        log(f"import {name}: {out.strip().splitlines()[-1]}")
        return seconds, usage.ru_maxrss

    def import_throughput(self):
        """Imports a generated template file at each size into each database (fresh school years
        per size, so every row is an insert); records rows per second and the importer's peak RSS
        (its own, from wait4: the high-water mark, whatever the file's size)."""
        results = []
        year = 2040
        for rows in self.args.import_rows:
            path = os.path.join(self.work, f"import-{rows}.csv")
            size, year = self.template_file(path, rows, year)
            for name, url in (("PostgreSQL", self.args.pg_url), ("SQLite", self.sqlite_url())):
                seconds, rss_kb = self.import_once(name, url, path)
                results.append((name, rows, size, seconds, rss_kb))
            os.remove(path)
        self.imports = results

    # ---- report ----
    def table(self):
        lines = ["| workload | clients | system | req/s | p50 ms | p99 ms |", "|---|---|---|---|---|---|"]
        for workload in "abc":
            for clients in self.args.clients:
                for r in self.results:
                    if r[1] == workload and r[2] == clients:
                        lines.append(f"| ({workload}) | {clients} | {r[0]} | {r[3]:.1f} | {r[4]:.2f} | {r[5]:.2f} |")
        lines += ["", "| workload | clients | Varde PG p50 / floor p50 | Varde PG / PostGraphile req/s | "
                  "Varde SQLite / PostGraphile req/s |", "|---|---|---|---|---|"]
        get = {(r[0], r[1], r[2]): r for r in self.results}
        for workload in "abc":
            for clients in self.args.clients:
                v = get.get(("Varde PostgreSQL", workload, clients))
                s = get.get(("Varde SQLite", workload, clients))
                f = get.get(("floor (pgbench)", workload, clients))
                p = get.get(("PostGraphile 4.14", workload, clients))
                lat = f"{v[4] / f[4]:.1f}x" if v and f else "-"
                thr = f"{v[3] / p[3]:.2f}x" if v and p else "-"
                sthr = f"{s[3] / p[3]:.2f}x" if s and p else "-"
                lines.append(f"| ({workload}) | {clients} | {lat} | {thr} | {sthr} |")
        lines.append("")
        if self.imports:
            lines += ["| import into | rows | file MB | seconds | rows/s | importer peak RSS MB |",
                      "|---|---|---|---|---|---|"]
            for name, rows, size, seconds, rss_kb in self.imports:
                lines.append(f"| {name} | {rows} | {size / 2**20:.1f} | {seconds:.1f} | "
                             f"{rows / seconds:.0f} | {rss_kb / 1024:.0f} |")
            lines.append("")
            for name in ("PostgreSQL", "SQLite"):
                rss = [r[4] for r in self.imports if r[0] == name]
                if len(rss) > 1:
                    lines.append(f"- importer peak RSS, largest / smallest file ({name}): "
                                 f"{rss[-1] / rss[0]:.2f}x for {self.args.import_rows[-1] / self.args.import_rows[0]:.0f}x the rows")
            lines.append("")
        for key, value in list(self.sizes.items()) + list(self.notes.items()):
            lines.append(f"- {key}: {value}")
        return "\n".join(lines)

    def run(self):
        started = time.time()
        self.generate()
        self.resolve()
        pg_answers = self.run_varde("Varde PostgreSQL", self.args.pg_url, self.args.varde_port, self.tokens_pg)
        sqlite_answers = self.run_varde("Varde SQLite", self.sqlite_url(), self.args.varde_port + 1,
                                        self.tokens_sqlite)
        assert pg_answers == sqlite_answers, "Varde answers differently on SQLite and PostgreSQL"
        log("Varde SQLite: answers equal to Varde PostgreSQL's")
        self.count_statements(self.args.pg_url, self.args.varde_port + 2, self.tokens_pg)
        for workload, sql in self.floor_sql().items():
            for clients in self.args.clients:
                self.pgbench(workload, sql, clients)
        if self.args.peer_dir:
            self.run_peer()
        self.import_throughput()
        self.notes["load generator"] = (f"{'oha' if self.args.oha else 'stdlib threads (smoke)'}, "
                                        f"{self.args.duration} s per cell; floor: pgbench -M prepared")
        self.notes["whole run"] = f"{time.time() - started:.0f} s"
        report = self.table()
        print(report)
        if self.args.out:
            with open(self.args.out, "w") as f:
                f.write(report + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--varde", required=True)
    parser.add_argument("--oha", default="", help="oha binary; without it, a stdlib stand-in (smoke only)")
    parser.add_argument("--pg-url", required=True)
    parser.add_argument("--sqlite", required=True)
    parser.add_argument("--scale", default="national")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--clients", type=lambda s: [int(c) for c in s.split(",")], default=[1, 16, 64])
    parser.add_argument("--varde-port", type=int, default=28151)
    parser.add_argument("--peer-port", type=int, default=28161)
    parser.add_argument("--peer-dir", default="")
    parser.add_argument("--import-rows", type=lambda s: [int(c) for c in s.split(",")],
                        default=[200_000, 1_000_000], help="rows of the generated template files imported")
    parser.add_argument("--out", default="")
    parser.add_argument("--work", default="", help="folder for logs and scripts (a new temporary one if empty)")
    Bench(parser.parse_args()).run()


if __name__ == "__main__":
    main()

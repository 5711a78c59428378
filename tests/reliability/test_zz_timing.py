import time
from tests.conftest import REPO
from tests.reliability.dagrunner import DagRunner
from tests.reliability.localnet import NewsServer, Route, article_html, rss
from tests.reliability.conftest import counts
import psycopg2

def test_timing(airflow_ready, clean_warehouse, fast_config, tmp_path):
    with NewsServer() as srv:
        srv.routes["/feed.rss"] = Route(rss([(f"{srv.base}/a/{i}", f"t{i}") for i in range(4)] + [(f"{srv.base}/missing", "m")]), "application/rss+xml", conditional=False)
        for i in range(4):
            srv.routes[f"/a/{i}"] = Route(article_html(i))
        src = tmp_path / "sources.yml"
        src.write_text(f'sources:\n  - {{name: t1, url: "{srv.base}/feed.rss", group: test}}\n')
        extra = {"DIPLOWATCH_SOURCES": str(src), "DIPLOWATCH_SOURCE_GROUPS": "test", "DIPLOWATCH_CONFIG": str(fast_config)}
        t0 = time.time()
        def show(tag, res):
            c = counts(clean_warehouse)
            print(tag, res, {k: v for k, v in c.items() if not k.endswith("ids")}, flush=True)
        with DagRunner({**airflow_ready, **extra}, REPO) as r:
            a = r.run("news_ingest", "2025-06-01T00:00:00+00:00"); show("ingest", a)
            b = r.clear("news_ingest", a["run_id"]); show("clear all", b)
            b = r.clear("news_ingest", a["run_id"], r"fetch\.ingest_source"); show("clear one", b)
            e = r.run("event_extract", None); show("extract", e)
            with psycopg2.connect(clean_warehouse) as c, c.cursor() as cur: cur.execute("update articles set processed_at=null")
            b = r.clear("event_extract", e["run_id"], r"extract\.extract_batch"); show("clear batch", b)
        print("total", time.time() - t0)
        print(srv.requests)
        open("/tmp/dwexp/runner.log", "w").write(r.output())

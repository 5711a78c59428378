import time
from tests.conftest import run_dag
from tests.reliability.localnet import NewsServer, Route, article_html, rss

def test_timing(airflow_ready, clean_warehouse, fast_config, tmp_path):
    with NewsServer() as srv:
        srv.routes["/feed.rss"] = Route(rss([(f"{srv.base}/a/{i}", f"t{i}") for i in range(4)]), "application/rss+xml")
        for i in range(4):
            srv.routes[f"/a/{i}"] = Route(article_html(i))
        src = tmp_path / "sources.yml"
        src.write_text(f'sources:\n  - {{name: t1, url: "{srv.base}/feed.rss", group: test}}\n')
        extra = {"DIPLOWATCH_SOURCES": str(src), "DIPLOWATCH_SOURCE_GROUPS": "test", "DIPLOWATCH_CONFIG": str(fast_config)}
        for args in (["--no-logical-date"], ["--logical-date", "2025-06-01T00:00:00"], ["--logical-date", "2025-06-01T00:00:00", "--mark-success-pattern", r"prepare|fetch\.report"]):
            t = time.time()
            import subprocess, sys, os
            p = subprocess.run([sys.executable, "-m", "diplowatch.cli", "dags", "test", "news_ingest", *args], env={**os.environ, **airflow_ready, **extra}, capture_output=True, text=True)
            print(args, time.time() - t, p.returncode, p.stdout[-300:], p.stderr[-1500:])
        t = time.time()
        p = subprocess.run([sys.executable, "-m", "diplowatch.cli", "dags", "test", "event_extract", "--no-logical-date"], env={**os.environ, **airflow_ready, **extra}, capture_output=True, text=True)
        print("extract", time.time() - t, p.returncode, p.stdout[-300:])
        print(srv.requests)

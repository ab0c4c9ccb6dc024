# The image every Airflow service in docker-compose.yml runs: Airflow plus this project.
ARG AIRFLOW_VERSION=3.3.2
FROM apache/airflow:${AIRFLOW_VERSION}-python3.11
ARG AIRFLOW_VERSION

# /opt/c360/silos is where the sample bank is generated and /opt/c360/data_docs where
# validation results are rendered; a named volume mounted on either starts as a copy of
# it, owned by the airflow user like everything here.
USER root
RUN mkdir -p /opt/c360/silos /opt/c360/data_docs && chown -R airflow:root /opt/c360
USER airflow
WORKDIR /opt/c360
COPY --chown=airflow:root pyproject.toml README.md ./
COPY --chown=airflow:root c360 ./c360
COPY --chown=airflow:root connectors ./connectors
COPY --chown=airflow:root transforms ./transforms
COPY --chown=airflow:root expectations ./expectations
COPY --chown=airflow:root warehouse ./warehouse
COPY --chown=airflow:root silos ./silos
COPY --chown=airflow:root config ./config
# Pin Airflow to the image's version so installing the project never swaps it out.
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" /opt/c360

ENV C360_CONFIG_DIR=/opt/c360/config \
    GX_ANALYTICS_ENABLED=false
WORKDIR /opt/airflow

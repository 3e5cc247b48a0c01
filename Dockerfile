# The newsetl Airflow image: the official Airflow image of the pinned version, with newsetl
# and its locked runtime dependencies installed (docker/requirements.lock: the project's lock
# without the test and lint tools). docker-compose.yml builds it for every Airflow service.
FROM apache/airflow:3.3.2-python3.11

# Locked dependencies first (they change less often than the code): one cached layer.
COPY --chown=airflow:root docker/requirements.lock /opt/newsetl/requirements.lock
RUN pip install --no-cache-dir -r /opt/newsetl/requirements.lock

# The project itself, without touching the locked dependencies, and its DAGs.
COPY --chown=airflow:root . /opt/newsetl
RUN pip install --no-cache-dir --no-deps /opt/newsetl
COPY --chown=airflow:root dags /opt/airflow/dags

"""What the DAG files in ``dags/`` run: they only declare DAGs and tasks, and import their
wiring from here, the installed package, so any DagBag (a plain ``airflow dags list``, a
scheduler, a worker) finds it without the DAG folder on ``sys.path``."""

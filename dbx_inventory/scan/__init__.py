"""The scan: who to scan, the listers, the concurrent walk, Spark tasks, and the pipeline that runs them."""

"""Entry points' glue that is more than parse-call-render: each builds a job (or a report)
from what the user gave and hands it to the one loop (perfopt.pipeline)."""

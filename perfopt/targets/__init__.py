"""Target kinds: a function in a project (`function`), a whole program on stdin inputs
(`program`), a repository with a workload (`repository`). Each fulfils the small protocol
in `base` that the one loop (perfopt.pipeline) and the gate chain (perfopt.verify.gates)
call; an entry point picks the kind and hands the loop a job."""

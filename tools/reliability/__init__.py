"""`make reliability`: every function through its HTTP entry point under injected faults, judged against a clean
run on the same world (see README.md, "Reliability")."""

"""perfopt.evals"""

"""perfopt.profilers"""

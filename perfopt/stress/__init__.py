"""perfopt.stress"""

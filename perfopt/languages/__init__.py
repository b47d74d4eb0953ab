"""perfopt.languages"""

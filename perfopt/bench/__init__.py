"""perfopt.bench"""

"""perfopt.verify"""

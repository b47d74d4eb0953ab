"""perfopt.skills"""

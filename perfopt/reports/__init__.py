"""perfopt.reports"""

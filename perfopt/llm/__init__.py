"""perfopt.llm"""

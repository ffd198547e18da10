"""lemm.render"""

"""lemm.mix"""

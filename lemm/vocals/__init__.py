"""lemm.vocals"""

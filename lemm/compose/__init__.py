"""lemm.compose"""

"""Marketplace Web Service (MWS): Orders 2013-09-01, Reports and Feeds 2009-01-01, over SigV2."""

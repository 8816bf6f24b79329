"""Offline training of world models on trajectory stores."""

"""The song folder: song.json and the files written beside it."""

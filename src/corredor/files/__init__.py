"""The file-system boundary: the one reader of every input file (size caps, regular files only,
paths kept inside the folder they belong to, UTF-8 with or without a byte-order mark, safe YAML
with limits) and the one atomic writer (write beside, fsync, rename into place). Nothing above
this package opens a file for reading or writing results by itself."""

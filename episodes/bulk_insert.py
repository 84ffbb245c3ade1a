"""Plain multi-row INSERTs for the import's biggest tables.

``bulk_create`` builds a model instance per row and prepares every value
through its field; for tens of thousands of transcript lines that was a third
of an import. Here rows are tuples of ready values, sent in as few statements
as the database allows. Only fields whose values need converting (JSON) go
through Django's field preparation.
"""

# ruff: noqa: S608 - table and column names come from the model's metadata, quoted; values are parameters.

from itertools import chain

from django.db import connection, models

# SQLite's advertised limit is 999 parameters a statement; PostgreSQL's is 65,535.
_DEFAULT_MAX_PARAMS = 65535


def insert_rows(model, columns, rows, *, returning=()):
    """INSERT ``rows`` (tuples in the order of ``columns``) into ``model``'s table.

    Returns a tuple of the ``returning`` columns for each new row, in no
    guaranteed order: return a key column (e.g. a position) to match them up.
    """
    rows = list(rows)
    if not rows:
        return []
    fields = [model._meta.get_field(column) for column in columns]
    converters = [(index, field) for index, field in enumerate(fields) if isinstance(field, models.JSONField)]
    if converters:
        rows = [_convert(row, converters) for row in rows]
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "
    one_row = f"({', '.join(['%s'] * len(fields))})"
    returned = ", ".join(quote(model._meta.get_field(name).column) for name in returning)
    returning_sql = f" RETURNING {returned}" if returning else ""
    batch = (connection.features.max_query_params or _DEFAULT_MAX_PARAMS) // len(fields)
    results = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            cursor.execute(head + ", ".join([one_row] * len(chunk)) + returning_sql, list(chain.from_iterable(chunk)))
            if returning:
                results.extend(cursor.fetchall())
    return results


def _convert(row, converters):
    row = list(row)
    for index, field in converters:
        if row[index] is not None:
            row[index] = field.get_db_prep_save(row[index], connection)
    return row

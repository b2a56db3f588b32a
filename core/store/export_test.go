package store

// RebuildSQLiteTable lets the tests put a table back in an older shape.
var RebuildSQLiteTable = rebuildSQLiteTable

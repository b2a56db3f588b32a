package store

// RebuildSQLiteTable lets the tests put a table back in an older shape.
var RebuildSQLiteTable = rebuildSQLiteTable

// SetSearchWindow narrows the first id window of a word search to n ids
// until the returned func puts it back.
func SetSearchWindow(n int64) (restore func()) {
	old := searchWindow
	searchWindow = n
	return func() { searchWindow = old }
}

package embedded_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	_ "modernc.org/sqlite"

	"github.com/quizflow/quizflow/internal/embedded"
)

// idLookupPlan is SQLite's plan for the query FerretDB's SQLite backend
// runs for a find by _id (collection.go: WHERE _ferretdb_sjson->'$._id' = ?)
// on the table of collection name in database db.
func idLookupPlan(t *testing.T, m *embedded.Mongo, db, name string) string {
	t.Helper()
	return lookupPlan(t, m, db, name, "_ferretdb_sjson->'$._id'")
}

// lookupPlan is SQLite's plan for an equality filter on expr.
func lookupPlan(t *testing.T, m *embedded.Mongo, db, name, expr string) string {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+filepath.Join(m.Dir, db+".sqlite")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var table string
	if err := conn.QueryRow(`SELECT table_name FROM _ferretdb_collections WHERE name = ?`, name).Scan(&table); err != nil {
		t.Fatalf("table of %s: %v", name, err)
	}
	rows, err := conn.Query(fmt.Sprintf(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %q WHERE %s = ?`, table, expr), `"x"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; ")
}

func TestIDLookupsUseAnIndex(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	m := startMongo(t, embedded.MongoOptions{})
	client := mongoClient(t, m)
	coll := client.Database("quizflow").Collection("items")
	for i := range 50 {
		if _, err := coll.InsertOne(ctx, item{ID: fmt.Sprint(i), Name: fmt.Sprint("n", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.IndexIDs(ctx); err != nil {
		t.Fatalf("IndexIDs: %v", err)
	}
	if plan := idLookupPlan(t, m, "quizflow", "items"); !strings.Contains(plan, "USING INDEX") {
		t.Errorf("a lookup by _id is %q, want an index search", plan)
	}
	var got item
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "7"}}).Decode(&got); err != nil || got.Name != "n7" {
		t.Errorf("find by _id after indexing: %+v, %v", got, err)
	}
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: "7"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "name", Value: "seven"}}}}); err != nil {
		t.Errorf("update by _id: %v", err)
	}
	if n, err := coll.CountDocuments(ctx, bson.D{{Key: "name", Value: "seven"}}); err != nil || n != 1 {
		t.Errorf("after the update: %d, %v", n, err)
	}

	// A collection dropped and made again is a new table: indexed again.
	if err := coll.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(ctx, item{ID: "a", Name: "again"}); err != nil {
		t.Fatal(err)
	}
	if err := m.IndexIDs(ctx); err != nil {
		t.Fatalf("IndexIDs: %v", err)
	}
	if plan := idLookupPlan(t, m, "quizflow", "items"); !strings.Contains(plan, "USING INDEX") {
		t.Errorf("after drop and insert, a lookup by _id is %q, want an index search", plan)
	}
	// A filter on another field scans (FerretDB pushes only _id down): the
	// plan check tells the two apart.
	if plan := lookupPlan(t, m, "quizflow", "items", "_ferretdb_sjson->'$.name'"); !strings.Contains(plan, "SCAN") {
		t.Errorf("a lookup by name is %q, want a scan", plan)
	}
}

package testenv

import (
	"context"
	"sort"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// DumpDatabase returns every document of every collection of db, sorted by
// _id, as raw BSON, and every collection's indexes as canonical extended
// JSON without their namespace, sorted: what two databases must share to
// be the same (a backup's round trip compares them).
func DumpDatabase(t testing.TB, db *mongo.Database) (map[string][]bson.Raw, map[string][]string) {
	t.Helper()
	ctx := context.Background()
	names, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	docs, idx := map[string][]bson.Raw{}, map[string][]string{}
	for _, n := range names {
		cur, err := db.Collection(n).Find(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		var all []bson.Raw
		if err := cur.All(ctx, &all); err != nil {
			t.Fatal(err)
		}
		sort.Slice(all, func(i, j int) bool { return all[i].Lookup("_id").String() < all[j].Lookup("_id").String() })
		docs[n] = all
		ic, err := db.Collection(n).Indexes().List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ixs []bson.D
		if err := ic.All(ctx, &ixs); err != nil {
			t.Fatal(err)
		}
		for _, ix := range ixs {
			var keep bson.D
			for _, e := range ix {
				if e.Key != "ns" {
					keep = append(keep, e)
				}
			}
			js, err := bson.MarshalExtJSON(keep, true, false)
			if err != nil {
				t.Fatal(err)
			}
			idx[n] = append(idx[n], string(js))
		}
		sort.Strings(idx[n])
	}
	return docs, idx
}

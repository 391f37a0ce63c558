package main

import (
	"context"
	"os"
	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: os.Getenv("LISTEN")},
		Handler:  "sqlite",
		SQLiteURL: "file:" + os.Getenv("DATA") + "/",
	})
	if err != nil { panic(err) }
	if err := f.Run(context.Background()); err != nil { panic(err) }
}

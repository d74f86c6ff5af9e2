module example.com/x

go 1.21

require (
	github.com/spf13/cobra v1.8.0
	this is not a require line at all
	golang.org/x/sys

module toolgate/namediff

go 1.24.0

require golang.org/x/text v0.33.0

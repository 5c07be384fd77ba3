package api

import _ "embed"

// OpenAPI is the OpenAPI 3 document of the HTTP API, as the server serves
// it at GET /api/openapi.json. It is shared: callers must not modify it.
//
//go:embed openapi.json
var OpenAPI []byte

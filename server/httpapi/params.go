package httpapi

import (
	"math"
	"math/big"
	"net/http"
	"strconv"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/server/protocol"
)

// intParam is int64Param bounded above by hi.
func intParam(r *http.Request, name string, def, lo, hi int) (int, *protocol.Error) {
	v, e := int64Param(r, name, int64(def), int64(lo))
	if e == nil && v > int64(hi) || e != nil && tooLarge(r.URL.Query().Get(name)) {
		e = protocol.Errorf(protocol.CodeBadRequest, "%s must be at most %d", name, hi)
	}
	return int(v), e
}

// int64Param reads the integer query parameter name: def when it is
// absent, 400 when it is present but empty, not an integer or below lo.
func int64Param(r *http.Request, name string, def, lo int64) (int64, *protocol.Error) {
	q := r.URL.Query()
	if !q.Has(name) {
		return def, nil
	}
	s := q.Get(name)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil && tooLarge(s) {
		return 0, protocol.Errorf(protocol.CodeBadRequest, "%s is too large: at most %d", name, int64(math.MaxInt64))
	}
	if err != nil || v < lo {
		return 0, protocol.Errorf(protocol.CodeBadRequest, "%s must be an integer of at least %d", name, lo)
	}
	return v, nil
}

// tooLarge reports whether s is a number (in decimal or exponent notation,
// such as 99999999999999999999 or 1e30) above the range of int64.
func tooLarge(s string) bool {
	f, ok := new(big.Float).SetString(s)
	return ok && !f.IsInf() && f.Cmp(new(big.Float).SetInt64(math.MaxInt64)) > 0
}

// checkPrefix refuses a name prefix that no valid name begins with; the
// empty prefix matches every name.
func checkPrefix(prefix string) *protocol.Error {
	if prefix != "" && !codec.ValidName(prefix) {
		return protocol.Errorf(protocol.CodeBadRequest, "prefix %q cannot begin a name: names match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", prefix)
	}
	return nil
}

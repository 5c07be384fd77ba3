package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// TLSFiles are a throwaway certificate authority and the certificates it
// signed for a test: a server certificate for 127.0.0.1 and a client
// certificate, all as PEM files in a temporary directory.
type TLSFiles struct {
	CA, Cert, Key          string // CA certificate; client certificate and key
	OtherCA                string // a CA that signed nothing here
	Server                 *tls.Config
	ServerRequireClientCrt *tls.Config // as Server, demanding a client certificate
}

// NewTLSFiles generates TLSFiles under t.TempDir().
func NewTLSFiles(t testing.TB) TLSFiles {
	t.Helper()
	dir := t.TempDir()
	ca, caKey := newCert(t, "chatstate test CA", nil, nil, true)
	other, _ := newCert(t, "unrelated CA", nil, nil, true)
	srv, srvKey := newCert(t, "127.0.0.1", ca, caKey, false)
	cli, cliKey := newCert(t, "chatstate client", ca, caKey, false)
	f := TLSFiles{
		CA:      writePEM(t, dir, "ca.pem", "CERTIFICATE", ca.Raw),
		OtherCA: writePEM(t, dir, "other-ca.pem", "CERTIFICATE", other.Raw),
		Cert:    writePEM(t, dir, "client.pem", "CERTIFICATE", cli.Raw),
		Key:     writePEM(t, dir, "client-key.pem", "EC PRIVATE KEY", mustEC(t, cliKey)),
	}
	pair := tls.Certificate{Certificate: [][]byte{srv.Raw, ca.Raw}, PrivateKey: srvKey}
	f.Server = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	f.ServerRequireClientCrt = f.Server.Clone()
	f.ServerRequireClientCrt.ClientAuth = tls.RequireAndVerifyClientCert
	f.ServerRequireClientCrt.ClientCAs = pool
	return f
}

func newCert(t testing.TB, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
		parent, parentKey = tmpl, key
	} else {
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

func mustEC(t testing.TB, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	b, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writePEM(t testing.TB, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Broker starts an in-process embedded broker with extra kfake options
// (such as kfake.EnableSASL, kfake.Superuser or kfake.TLS) on a free
// loopback port, closed when the test ends, and returns its address. It
// ignores CHATSTATE_TEST_BROKERS: tests of security need a broker set up
// their way.
func Broker(t testing.TB, opts ...kfake.Opt) string {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatalf("start embedded broker: %v", err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// csi-mount calls a Secrets Store CSI provider over its unix socket the way the
// secrets-store-csi-driver does (provider/v1alpha1, insecure transport, authority
// "localhost"): one Mount, or Version with -version.
//
// The MountRequest is read from stdin and the MountResponse written to stdout, both
// in the proto's canonical JSON. A gRPC error is written as {"code": ..., "message": ...}
// and the exit status is 3; usage and transport problems exit 1.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	pb "sigs.k8s.io/secrets-store-csi-driver/provider/v1alpha1"
)

// The driver's default --max-call-recv-msg-size.
const maxRecvMsgSize = 4 * 1024 * 1024

func main() {
	endpoint := flag.String("endpoint", "", "the provider's unix socket")
	timeout := flag.Duration("timeout", 30*time.Second, "deadline of the call")
	version := flag.Bool("version", false, "call Version instead of Mount")
	flag.Parse()
	if *endpoint == "" {
		fail("-endpoint is required")
	}
	conn, err := grpc.NewClient("unix://"+*endpoint,
		grpc.WithAuthority("localhost"),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxRecvMsgSize)),
	)
	if err != nil {
		fail("connect: %v", err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	client := pb.NewCSIDriverProviderClient(conn)

	var resp proto.Message
	if *version {
		resp, err = client.Version(ctx, &pb.VersionRequest{Version: "v1alpha1"})
	} else {
		in, readErr := io.ReadAll(os.Stdin)
		if readErr != nil {
			fail("read stdin: %v", readErr)
		}
		req := &pb.MountRequest{}
		if err := protojson.Unmarshal(in, req); err != nil {
			fail("parse MountRequest: %v", err)
		}
		resp, err = client.Mount(ctx, req)
	}
	if err != nil {
		st := status.Convert(err)
		out, _ := json.Marshal(map[string]string{"code": st.Code().String(), "message": st.Message()})
		fmt.Println(string(out))
		os.Exit(3)
	}
	out, err := protojson.Marshal(resp)
	if err != nil {
		fail("encode response: %v", err)
	}
	fmt.Println(string(out))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "csi-mount: "+format+"\n", args...)
	os.Exit(1)
}

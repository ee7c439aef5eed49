import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * Test fixture: a TLS server that reloads its keystore on SIGHUP, like a broker with hot reload.
 * Usage: ReloadingTlsServer <keystore> <JKS|PKCS12> <password file> <port file>.
 *
 * The listening socket is plain TCP and never closes; each accepted connection is wrapped in
 * server mode with the SSLContext current at accept time. SIGHUP re-reads the keystore and the
 * password file and swaps the context atomically: handshakes in flight finish with the old one,
 * new connections get the new one, nothing is refused. A keystore that does not load leaves the
 * old context serving and prints the error. Prints "serving <serial hex>" after each (re)load and
 * answers each completed handshake with "ok\n".
 */
public final class ReloadingTlsServer {
    private static final AtomicReference<SSLContext> CONTEXT = new AtomicReference<>();

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: ReloadingTlsServer <keystore> <JKS|PKCS12> <password file> <port file>");
            System.exit(2);
        }
        TlsFixtures.strictStoreTypes();
        Path keystore = Path.of(args[0]);
        String storeType = args[1];
        Path passwordFile = Path.of(args[2]);
        CONTEXT.set(load(keystore, storeType, passwordFile));
        TlsFixtures.reloadOnHangup(CONTEXT, () -> load(keystore, storeType, passwordFile),
            e -> System.err.println("reload failed, still serving the previous keystore: " + e));

        ExecutorService connections = Executors.newCachedThreadPool();
        try (ServerSocket server = new ServerSocket(0, 200, InetAddress.getByName("127.0.0.1"))) {
            TlsFixtures.writePortFile(args[3], Integer.toString(server.getLocalPort()));
            while (true) {
                Socket plain = server.accept();
                SSLContext context = CONTEXT.get();
                connections.execute(() -> serve(context, plain));
            }
        }
    }

    private static SSLContext load(Path keystore, String storeType, Path passwordFile) throws Exception {
        char[] password = TlsFixtures.readPassword(passwordFile);
        KeyStore keyStore = TlsFixtures.loadStore(keystore, storeType, password);
        SSLContext context = TlsFixtures.context(keyStore, password, null);
        System.out.println("serving " + TlsFixtures.leafSerial(keyStore));
        System.out.flush();
        return context;
    }

    private static void serve(SSLContext context, Socket plain) {
        try (plain; SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, null, true)) {
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            OutputStream out = socket.getOutputStream();
            out.write("ok\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException e) {
            System.err.println("connection failed: " + e);
        }
    }
}

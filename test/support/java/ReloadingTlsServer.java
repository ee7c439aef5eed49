import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import sun.misc.Signal;

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
        // Read exactly the declared type: by default JDK 9+ also loads PKCS#12 declared as JKS and vice versa.
        Security.setProperty("keystore.type.compat", "false");
        Path keystore = Path.of(args[0]);
        String storeType = args[1];
        Path passwordFile = Path.of(args[2]);
        CONTEXT.set(load(keystore, storeType, passwordFile));

        // One reload at a time, in arrival order; the signal handler thread only queues.
        ExecutorService reloads = Executors.newSingleThreadExecutor();
        Signal.handle(new Signal("HUP"), signal -> reloads.execute(() -> {
            try {
                CONTEXT.set(load(keystore, storeType, passwordFile));
            } catch (Exception e) {
                System.err.println("reload failed, still serving the previous keystore: " + e);
            }
        }));

        ExecutorService connections = Executors.newCachedThreadPool();
        try (ServerSocket server = new ServerSocket(0, 200, InetAddress.getByName("127.0.0.1"))) {
            // Written after the HUP handler is in place (a HUP before would kill the JVM), write-then-rename.
            Path portFile = Path.of(args[3]);
            Path partial = Path.of(args[3] + ".partial");
            Files.writeString(partial, Integer.toString(server.getLocalPort()));
            Files.move(partial, portFile, StandardCopyOption.ATOMIC_MOVE);
            while (true) {
                Socket plain = server.accept();
                SSLContext context = CONTEXT.get();
                connections.execute(() -> serve(context, plain));
            }
        }
    }

    private static SSLContext load(Path keystore, String storeType, Path passwordFile) throws Exception {
        char[] password = Files.readString(passwordFile, StandardCharsets.UTF_8).strip().toCharArray();
        KeyStore keyStore = KeyStore.getInstance(storeType);
        try (InputStream in = Files.newInputStream(keystore)) {
            keyStore.load(in, password);
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keyStore, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers.getKeyManagers(), null, null);
        for (String alias : Collections.list(keyStore.aliases())) {
            if (keyStore.isKeyEntry(alias)) {
                X509Certificate leaf = (X509Certificate) keyStore.getCertificate(alias);
                System.out.println("serving " + leaf.getSerialNumber().toString(16));
                System.out.flush();
            }
        }
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

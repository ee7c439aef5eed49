import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Test fixture: one broker of an mTLS ring. It serves its keystore on a ring port that requires a
 * client certificate its truststore accepts, and connects to its peer over mutual TLS every
 * `pauseMs`, presenting the same keystore and checking the peer's leaf against the truststore and
 * the peer's name (HTTPS endpoint identification). A probe port serves the same keystore without
 * client authentication, for the agent's --verify-tls. SIGHUP re-reads keystore, truststore and
 * password file and swaps the context for both sides; handshakes in flight finish with the old one.
 *
 * Usage: MtlsRingNode <keystore.jks> <truststore.jks> <password file> <peer port file> <peer name> <pauseMs> <port file>
 * The port file gets "<ring port> <probe port>"; the peer port file holds the peer's (same format).
 * Prints "loaded <leaf serial hex> <truststore entries>" after each (re)load, "client-fail <error>"
 * and "server-fail <error>" per failed handshake, "peer <serial hex>" when the peer's leaf changes,
 * and every 200 ms "stats <client ok> <client failed> <server ok> <server failed>".
 */
public final class MtlsRingNode {
    private static final AtomicReference<SSLContext> CONTEXT = new AtomicReference<>();
    private static final AtomicLong CLIENT_OK = new AtomicLong();
    private static final AtomicLong CLIENT_FAILED = new AtomicLong();
    private static final AtomicLong SERVER_OK = new AtomicLong();
    private static final AtomicLong SERVER_FAILED = new AtomicLong();

    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            System.err.println("usage: MtlsRingNode <keystore> <truststore> <password file> <peer port file> <peer name> <pauseMs> <port file>");
            System.exit(2);
        }
        TlsFixtures.strictStoreTypes();
        Path keystore = Path.of(args[0]);
        Path truststore = Path.of(args[1]);
        Path passwordFile = Path.of(args[2]);
        Path peerPortFile = Path.of(args[3]);
        String peerName = args[4];
        long pauseMs = Long.parseLong(args[5]);
        CONTEXT.set(load(keystore, truststore, passwordFile));
        TlsFixtures.reloadOnHangup(CONTEXT, () -> load(keystore, truststore, passwordFile), e -> System.out.println("reload-failed " + e));

        ServerSocket ring = new ServerSocket(0, 200, InetAddress.getByName("127.0.0.1"));
        ServerSocket probe = new ServerSocket(0, 200, InetAddress.getByName("127.0.0.1"));
        ExecutorService connections = Executors.newCachedThreadPool();
        Thread ringAcceptor = new Thread(() -> accept(ring, true, connections));
        Thread probeAcceptor = new Thread(() -> accept(probe, false, connections));
        ringAcceptor.start();
        probeAcceptor.start();
        TlsFixtures.writePortFile(args[6], ring.getLocalPort() + " " + probe.getLocalPort());

        Thread stats = new Thread(() -> {
            while (true) {
                System.out.println("stats " + CLIENT_OK.get() + " " + CLIENT_FAILED.get() + " " + SERVER_OK.get() + " " + SERVER_FAILED.get());
                System.out.flush();
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        stats.setDaemon(true);
        stats.start();
        clientLoop(peerPortFile, peerName, pauseMs);
    }

    private static SSLContext load(Path keystore, Path truststore, Path passwordFile) throws Exception {
        char[] password = TlsFixtures.readPassword(passwordFile);
        KeyStore keys = TlsFixtures.loadStore(keystore, "JKS", password);
        KeyStore trusted = TlsFixtures.loadStore(truststore, "JKS", password);
        SSLContext context = TlsFixtures.context(keys, password, trusted);
        System.out.println("loaded " + TlsFixtures.leafSerial(keys) + " " + trusted.size());
        System.out.flush();
        return context;
    }

    private static void accept(ServerSocket server, boolean clientAuth, ExecutorService connections) {
        while (true) {
            try {
                Socket plain = server.accept();
                SSLContext context = CONTEXT.get();
                connections.execute(() -> serve(context, plain, clientAuth));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void serve(SSLContext context, Socket plain, boolean clientAuth) {
        try (plain; SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, null, true)) {
            socket.setUseClientMode(false);
            socket.setNeedClientAuth(clientAuth);
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            OutputStream out = socket.getOutputStream();
            out.write("ok\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            if (clientAuth) SERVER_OK.incrementAndGet();
        } catch (IOException e) {
            if (clientAuth) {
                SERVER_FAILED.incrementAndGet();
                System.out.println("server-fail " + e);
                System.out.flush();
            }
        }
    }

    private static void clientLoop(Path peerPortFile, String peerName, long pauseMs) throws InterruptedException {
        int peerPort = -1;
        String lastPeerSerial = "";
        while (true) {
            if (peerPort < 0) {
                try {
                    peerPort = Integer.parseInt(Files.readString(peerPortFile).trim().split(" ")[0]);
                } catch (IOException | NumberFormatException e) {
                    Thread.sleep(50);
                    continue;
                }
            }
            SSLContext context = CONTEXT.get();
            try (Socket plain = new Socket()) {
                plain.connect(new InetSocketAddress("127.0.0.1", peerPort), 5_000);
                try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, peerName, peerPort, true)) {
                    SSLParameters parameters = socket.getSSLParameters();
                    parameters.setEndpointIdentificationAlgorithm("HTTPS");
                    parameters.setServerNames(List.of(new SNIHostName(peerName)));
                    socket.setSSLParameters(parameters);
                    socket.setSoTimeout(10_000);
                    socket.startHandshake();
                    // TLS 1.3: the server judges our certificate after our Finished; its verdict arrives before "ok".
                    String reply = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
                    if (!"ok".equals(reply)) throw new IOException("unexpected reply " + reply);
                    String serial = ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber().toString(16);
                    CLIENT_OK.incrementAndGet();
                    if (!serial.equals(lastPeerSerial)) {
                        lastPeerSerial = serial;
                        System.out.println("peer " + serial);
                        System.out.flush();
                    }
                }
            } catch (IOException e) {
                CLIENT_FAILED.incrementAndGet();
                System.out.println("client-fail " + e);
                System.out.flush();
            }
            Thread.sleep(pauseMs);
        }
    }
}

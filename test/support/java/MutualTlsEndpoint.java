import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Test fixture: one side of a broker-to-broker link with mutual TLS, like an ActiveMQ broker whose
 * transport has needClientAuth=true and whose network connector dials the other broker.
 * Usage: MutualTlsEndpoint <keystore> <JKS|PKCS12> <truststore> <JKS|PKCS12> <password file> <port file>.
 *
 * One SSLContext serves both directions: the keystore's identity, trusting only the truststore (the
 * private root certflow installs). SIGHUP re-reads keystore, truststore and password and swaps the
 * context atomically (a store that does not load leaves the old context and prints why); each
 * connection, accepted or dialled, takes the context current when it starts.
 *
 * Server side: needClientAuth; answers each handshake with "ok <client serial>\n" and prints
 * "accepted <client serial>" or "rejected <reason>".
 * Client side, started by "dial <port> <server name> <pause ms> <max>" on stdin (stopped by "stop"):
 * handshakes one after another, checking the server name against the certificate, and prints
 * "handshake <server serial> <client serial the server saw>" or "failed <reason>", then "dialled <n>".
 * Sessions are invalidated after each handshake: every handshake is a full one, certificates and all.
 * Serials are lowercase hex; each (re)load prints "loaded <own serial>".
 */
public final class MutualTlsEndpoint {
    private static final AtomicReference<SSLContext> CONTEXT = new AtomicReference<>();
    private static volatile boolean dialling;

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: MutualTlsEndpoint <keystore> <JKS|PKCS12> <truststore> <JKS|PKCS12> <password file> <port file>");
            System.exit(2);
        }
        TlsFixtures.strictStoreTypes();
        Path keystore = Path.of(args[0]);
        Path truststore = Path.of(args[2]);
        Path passwordFile = Path.of(args[4]);
        CONTEXT.set(load(keystore, args[1], truststore, args[3], passwordFile));
        TlsFixtures.reloadOnHangup(CONTEXT, () -> load(keystore, args[1], truststore, args[3], passwordFile), e -> print("reload-failed " + e));

        Thread commands = new Thread(MutualTlsEndpoint::readCommands, "commands");
        commands.setDaemon(true);
        commands.start();

        ExecutorService connections = Executors.newCachedThreadPool();
        try (ServerSocket server = new ServerSocket(0, 200, InetAddress.getByName("127.0.0.1"))) {
            TlsFixtures.writePortFile(args[5], Integer.toString(server.getLocalPort()));
            while (true) {
                Socket plain = server.accept();
                SSLContext context = CONTEXT.get();
                connections.execute(() -> accept(context, plain));
            }
        }
    }

    private static synchronized void print(String line) {
        System.out.println(line);
        System.out.flush();
    }

    private static SSLContext load(Path keystore, String keystoreType, Path truststore, String truststoreType, Path passwordFile) throws Exception {
        char[] password = TlsFixtures.readPassword(passwordFile);
        KeyStore keyStore = TlsFixtures.loadStore(keystore, keystoreType, password);
        SSLContext context = TlsFixtures.context(keyStore, password, TlsFixtures.loadStore(truststore, truststoreType, password));
        print("loaded " + TlsFixtures.leafSerial(keyStore));
        return context;
    }

    private static String serialOf(SSLSocket socket) throws IOException {
        return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber().toString(16);
    }

    private static String oneLine(Exception e) {
        return (e.getClass().getSimpleName() + ": " + e.getMessage()).replace('\n', ' ');
    }

    private static void accept(SSLContext context, Socket plain) {
        try (plain; SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, null, true)) {
            socket.setUseClientMode(false);
            socket.setNeedClientAuth(true);
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            String client = serialOf(socket);
            socket.getSession().invalidate();
            // Printed before the answer: a client that read "ok" was counted here.
            print("accepted " + client);
            OutputStream out = socket.getOutputStream();
            out.write(("ok " + client + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException e) {
            print("rejected " + oneLine(e));
        }
    }

    private static void readCommands() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String[] words = line.trim().split(" ");
                if (words[0].equals("dial") && words.length == 5 && !dialling) {
                    dialling = true;
                    Thread loop = new Thread(() -> dial(Integer.parseInt(words[1]), words[2], Long.parseLong(words[3]), Integer.parseInt(words[4])), "dial");
                    loop.start();
                } else if (words[0].equals("stop")) {
                    dialling = false;
                }
            }
        } catch (IOException e) {
            print("commands-failed " + oneLine(e));
        }
    }

    private static void dial(int port, String serverName, long pauseMs, int max) {
        int n = 0;
        while (dialling && n < max) {
            n++;
            SSLContext context = CONTEXT.get();
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
                SSLParameters parameters = socket.getSSLParameters();
                parameters.setServerNames(List.of(new SNIHostName(serverName)));
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                socket.setSSLParameters(parameters);
                socket.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 10_000);
                socket.setSoTimeout(10_000);
                socket.startHandshake();
                String server = serialOf(socket);
                socket.getSession().invalidate();
                // With TLS 1.3 the server judges our certificate after our Finished: only its answer says it accepted us.
                String reply = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
                if (reply == null || !reply.startsWith("ok ")) throw new IOException("unexpected reply " + reply);
                print("handshake " + server + " " + reply.substring(3));
            } catch (Exception e) {
                print("failed " + oneLine(e));
            }
            if (pauseMs > 0) {
                try {
                    Thread.sleep(pauseMs);
                } catch (InterruptedException e) {
                    break;
                }
            }
        }
        dialling = false;
        print("dialled " + n);
    }
}

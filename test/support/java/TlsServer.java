import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.Security;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * Test fixture: a TLS server presenting the private key entry of a keystore, like a broker would.
 * Usage: TlsServer <keystore> <JKS|PKCS12> <password> <port file>. Writes the port once listening;
 * answers every completed handshake with "ok\n" and closes the connection. Runs until killed.
 */
public final class TlsServer {
    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: TlsServer <keystore> <JKS|PKCS12> <password> <port file>");
            System.exit(2);
        }
        // Read exactly the declared type: by default JDK 9+ also loads PKCS#12 declared as JKS and vice versa.
        Security.setProperty("keystore.type.compat", "false");
        char[] password = args[2].toCharArray();
        KeyStore keyStore = KeyStore.getInstance(args[1]);
        try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
            keyStore.load(in, password);
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keyStore, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers.getKeyManagers(), null, null);

        try (SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            // Write-then-rename so the test never reads a partial port number.
            Path portFile = Path.of(args[3]);
            Path partial = Path.of(args[3] + ".partial");
            Files.writeString(partial, Integer.toString(server.getLocalPort()));
            Files.move(partial, portFile, StandardCopyOption.ATOMIC_MOVE);
            while (true) {
                try (SSLSocket socket = (SSLSocket) server.accept()) {
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
    }
}

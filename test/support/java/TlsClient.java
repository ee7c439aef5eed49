import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * Test fixture: a TLS client that trusts exactly one truststore, as a broker's client or a
 * broker-to-broker link configured with trustStore=... would (the JDK's PKIX trust manager, the
 * server name checked against the certificate).
 * Usage: TlsClient <host> <port> <truststore> <JKS|PKCS12> <password> <server name>.
 * Prints "trusted <serial hex> <reply>" and exits 0, or "untrusted <reason>" and exits 3.
 */
public final class TlsClient {
    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: TlsClient <host> <port> <truststore> <JKS|PKCS12> <password> <server name>");
            System.exit(2);
        }
        // Read exactly the declared type: by default JDK 9+ also loads PKCS#12 declared as JKS and vice versa.
        Security.setProperty("keystore.type.compat", "false");
        KeyStore trustStore = KeyStore.getInstance(args[3]);
        try (InputStream in = Files.newInputStream(Path.of(args[2]))) {
            trustStore.load(in, args[4].toCharArray());
        }
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trustStore);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trustManagers.getTrustManagers(), null);

        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(args[0], Integer.parseInt(args[1]))) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(args[5])));
            // Check the server name against the certificate (the SNI name, not the address).
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(parameters);
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            X509Certificate peer = (X509Certificate) socket.getSession().getPeerCertificates()[0];
            BufferedReader reader = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            System.out.println("trusted " + peer.getSerialNumber().toString(16) + " " + reader.readLine());
        } catch (SSLException e) {
            System.out.println("untrusted " + e.getMessage());
            System.exit(3);
        }
    }
}

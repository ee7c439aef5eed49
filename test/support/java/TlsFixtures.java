import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import sun.misc.Signal;

/** What the test TLS servers share: keystores in, an SSLContext out, SIGHUP reloads, the port file. */
final class TlsFixtures {
    private TlsFixtures() {}

    /** The password file's first line, as the agent writes keystore.pass. */
    static char[] readPassword(Path passwordFile) throws IOException {
        return Files.readString(passwordFile, StandardCharsets.UTF_8).strip().toCharArray();
    }

    /** Exactly the declared type: JDK 9+ would otherwise also load PKCS#12 declared as JKS and vice versa (see strictStoreTypes). */
    static KeyStore loadStore(Path file, String type, char[] password) throws Exception {
        KeyStore store = KeyStore.getInstance(type);
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, password);
        }
        return store;
    }

    static void strictStoreTypes() {
        java.security.Security.setProperty("keystore.type.compat", "false");
    }

    /** A TLS context presenting `keys`; trusting `trusted`, or the JDK's defaults when null. */
    static SSLContext context(KeyStore keys, char[] password, KeyStore trusted) throws Exception {
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, password);
        TrustManagerFactory trustManagers = null;
        if (trusted != null) {
            trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trustManagers.init(trusted);
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers.getKeyManagers(), trustManagers == null ? null : trustManagers.getTrustManagers(), null);
        return context;
    }

    /** The serial (lowercase hex) of the key entry's leaf, "?" without one. */
    static String leafSerial(KeyStore keys) throws Exception {
        String serial = "?";
        for (String alias : Collections.list(keys.aliases())) {
            if (keys.isKeyEntry(alias)) serial = ((X509Certificate) keys.getCertificate(alias)).getSerialNumber().toString(16);
        }
        return serial;
    }

    /**
     * SIGHUP runs `load` and swaps the context in `current`: handshakes in flight finish with the old
     * one. One reload at a time, in arrival order (the signal thread only queues); a load that fails
     * leaves the old context and goes to `onFailure`. Install it before writing the port file: a HUP
     * before the handler is in place kills the JVM.
     */
    static void reloadOnHangup(AtomicReference<SSLContext> current, Callable<SSLContext> load, Consumer<Exception> onFailure) {
        ExecutorService reloads = Executors.newSingleThreadExecutor();
        Signal.handle(new Signal("HUP"), signal -> reloads.execute(() -> {
            try {
                current.set(load.call());
            } catch (Exception e) {
                onFailure.accept(e);
            }
        }));
    }

    /** Write-then-rename: the test reads the port file only once it is whole. */
    static void writePortFile(String portFile, String ports) throws IOException {
        Path partial = Path.of(portFile + ".partial");
        Files.writeString(partial, ports);
        Files.move(partial, Path.of(portFile), StandardCopyOption.ATOMIC_MOVE);
    }
}

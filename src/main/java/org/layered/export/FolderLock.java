package org.layered.export;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exclusive claim on an output folder, held as an operating-system lock on a lock file beside it, so that a
 * second run into the same folder, in this process or another, fails at once instead of mixing its files in. The
 * lock file is removed when the claim ends. Because a file can be deleted while another process has it open, the
 * holder writes a token into the file it locked and checks, through the path, that the path still leads to that
 * file; a lock on a file that was deleted meanwhile does not count. The channel of that check stays open as long
 * as the lock: POSIX releases a process's locks on a file when any of its descriptors for it is closed.
 */
final class FolderLock implements AutoCloseable {
    /** The lock files held by this process. */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path file;
    private final FileChannel channel;
    private final FileChannel check;
    private final FileLock lock;

    private FolderLock(Path file, FileChannel channel, FileChannel check, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.check = check;
        this.lock = lock;
    }

    /**
     * Locks {@code file} (created if needed).
     *
     * @param folder the folder the lock guards, for the message
     * @throws IOException saying that another run holds the folder, or why the lock file cannot be created
     */
    static FolderLock acquire(Path file, Path folder) throws IOException {
        // runs of this process are told apart here, without opening the file: closing a descriptor of a locked
        // file would release this process's lock on it
        if (!HELD.add(file)) {
            throw busy(file, folder);
        }
        try {
            return lock(file, folder);
        } catch (IOException | RuntimeException e) {
            HELD.remove(file);
            throw e;
        }
    }

    private static IOException busy(Path file, Path folder) {
        return new IOException("another Layered run is writing " + folder + " (it holds " + file.getFileName()
                + "); wait for it to finish or choose another output folder");
    }

    private static FolderLock lock(Path file, Path folder) throws IOException {
        for (int attempt = 0; attempt < 8; attempt++) {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock l = null;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                // this JVM holds it already (another run in the same Fiji)
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            if (l == null) {
                ch.close();
                throw busy(file, folder);
            }
            String token = UUID.randomUUID().toString();
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(token.getBytes(StandardCharsets.US_ASCII)), 0);
            FileChannel check = null;
            try {
                check = FileChannel.open(file, StandardOpenOption.READ);
                if (token.equals(read(check))) {
                    return new FolderLock(file, ch, check, l);
                }
            } catch (NoSuchFileException e) {
                // deleted by its previous holder: try again
            }
            // we locked a file its holder deleted as we opened it: try the one that is there now
            l.release();
            if (check != null) {
                check.close();
            }
            ch.close();
        }
        throw new IOException("cannot lock " + folder + ": its lock file " + file + " keeps changing");
    }

    private static String read(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(64);
        while (ch.read(b, b.position()) > 0 && b.hasRemaining()) {
            // a token is 36 bytes
        }
        return new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII);
    }

    /**
     * Removes the lock file while still holding the lock (nobody else replaces it meanwhile: others only create it
     * when it is missing), then releases the lock.
     */
    @Override
    public void close() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a lock file left behind is harmless: the next run locks it again
        }
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel releases it as well
        }
        for (FileChannel c : new FileChannel[] {check, channel}) {
            try {
                c.close();
            } catch (IOException ignored) {
                // nothing more to release
            }
        }
        HELD.remove(file);
    }
}

/*
 * Intel 82576 (igb) emulation: the SPI EEPROM behind EECD.
 *
 * Software may drive the EEPROM's SPI pins itself through EECD (SK clock,
 * CS chip select, DI data to the part, DO data from it) once it holds the
 * NVM (EECD.REQ/GNT); Linux writes the EEPROM this way (ethtool -E).  The
 * part answers the usual serial EEPROM commands: READ, WRITE (with the
 * write-enable latch set by WREN), RDSR, WRDI.  Addresses are 16-bit byte
 * addresses (EECD.ADDR_BITS); word n is bytes 2n (low) and 2n+1 (high).
 *
 * With the eeprom-file property, the image lives in that file: read at
 * start-up and written through on every change.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qapi/error.h"
#include "igb_core.h"
#include "trace.h"

#define R(off) ((off) >> 2)

enum {
    IGB_SPI_WRSR = 0x01,
    IGB_SPI_WRITE = 0x02,
    IGB_SPI_READ = 0x03,
    IGB_SPI_WRDI = 0x04,
    IGB_SPI_RDSR = 0x05,
    IGB_SPI_WREN = 0x06,
};

#define IGB_SPI_SR_WEL  BIT(1)

static uint8_t igb_nvm_byte(IgbCore *core, uint32_t byte)
{
    uint16_t w = core->eeprom[(byte / 2) % IGB_EEPROM_WORDS];

    return byte & 1 ? w >> 8 : w & 0xFF;
}

void igb_nvm_word_written(IgbCore *core, uint32_t word)
{
    uint8_t le[2];

    if (core->nvm_fd < 0 || word >= IGB_EEPROM_WORDS) {
        return;
    }
    stw_le_p(le, core->eeprom[word]);
    if (pwrite(core->nvm_fd, le, 2, word * 2) != 2) {
        qemu_log_mask(LOG_UNIMP, "igb: cannot write the EEPROM file: %s\n",
                      strerror(errno));
    }
}

/* eeprom-file: the whole image written through (new file; migration) */
void igb_nvm_sync(IgbCore *core)
{
    uint8_t img[IGB_EEPROM_WORDS * 2];

    if (core->nvm_fd < 0) {
        return;
    }
    for (int i = 0; i < IGB_EEPROM_WORDS; i++) {
        stw_le_p(img + 2 * i, core->eeprom[i]);
    }
    if (pwrite(core->nvm_fd, img, sizeof(img), 0) != sizeof(img)) {
        qemu_log_mask(LOG_UNIMP, "igb: cannot write the EEPROM file: %s\n",
                      strerror(errno));
    }
}

static void igb_nvm_store_byte(IgbCore *core, uint32_t byte, uint8_t v)
{
    uint32_t word = (byte / 2) % IGB_EEPROM_WORDS;
    uint16_t *w = &core->eeprom[word];

    *w = byte & 1 ? (*w & 0x00FF) | (v << 8) : (*w & 0xFF00) | v;
    igb_nvm_word_written(core, word);
}

/* One rising SK edge with CS asserted: take DI in, put the next bit on DO. */
static void igb_spi_clock(IgbCore *core, bool di)
{
    IgbSpi *s = &core->spi;
    uint32_t n = s->bits++;

    s->shreg = (s->shreg << 1) | di;
    if (n == 7) {
        s->cmd = s->shreg & 0xF7;   /* bit 3: A8 of 8-bit-address parts */
        switch (s->cmd) {
        case IGB_SPI_WREN:
            s->wel = true;
            break;
        case IGB_SPI_WRDI:
            s->wel = false;
            break;
        case IGB_SPI_RDSR:
            s->out = s->wel ? IGB_SPI_SR_WEL : 0;
            break;
        }
        trace_igb_nvm_spi_cmd(s->cmd);
        return;
    }
    if (n < 8) {
        return;
    }
    switch (s->cmd) {
    case IGB_SPI_READ:
    case IGB_SPI_WRITE:
        if (n == 23) {
            s->addr = s->shreg & 0xFFFF;
            s->out = igb_nvm_byte(core, s->addr);
        } else if (n > 24 && s->cmd == IGB_SPI_READ && (n - 24) % 8 == 0) {
            /* the first edge of the next byte: DO moves on to it */
            s->addr++;
            s->out = igb_nvm_byte(core, s->addr);
        } else if (n > 23 && s->cmd == IGB_SPI_WRITE && (n - 24) % 8 == 7) {
            if (s->wel) {
                igb_nvm_store_byte(core, s->addr, s->shreg & 0xFF);
            }
            s->addr++;
        }
        break;
    }
}

static bool igb_spi_dout(IgbCore *core)
{
    IgbSpi *s = &core->spi;
    uint32_t n = s->bits;       /* bits clocked so far */

    switch (s->cmd) {
    case IGB_SPI_RDSR:
        return n > 8 && ((s->out << ((n - 9) % 8)) & 0x80);
    case IGB_SPI_READ:
        return n > 24 && ((s->out << ((n - 25) % 8)) & 0x80);
    default:
        return false;
    }
}

void igb_nvm_eecd_write(IgbCore *core, uint32_t old, uint32_t eecd)
{
    IgbSpi *s = &core->spi;

    if (!(eecd & IGB_EECD_GNT)) {
        return;     /* the pins belong to the hardware's own NVM reads */
    }
    if (eecd & IGB_EECD_CS) {
        /* deselected: the command ends; a write clears the latch */
        if (!(old & IGB_EECD_CS) && s->cmd == IGB_SPI_WRITE && s->bits > 24) {
            s->wel = false;
        }
        s->bits = 0;
        s->cmd = 0;
        return;
    }
    if ((eecd & IGB_EECD_SK) && !(old & IGB_EECD_SK)) {
        igb_spi_clock(core, eecd & IGB_EECD_DI);
    }
}

uint32_t igb_nvm_eecd_read(IgbCore *core, uint32_t eecd)
{
    eecd &= ~IGB_EECD_DO;
    if ((eecd & IGB_EECD_GNT) && !(eecd & IGB_EECD_CS) && igb_spi_dout(core)) {
        eecd |= IGB_EECD_DO;
    }
    return eecd;
}

/* eeprom-file: load the image if the file has one, else create it. */
bool igb_nvm_open(IgbCore *core, const char *path, Error **errp)
{
    uint8_t img[IGB_EEPROM_WORDS * 2];
    struct stat st;
    ssize_t n;

    core->nvm_fd = -1;
    if (!path) {
        return true;
    }
    core->nvm_fd = qemu_create(path, O_RDWR, 0644, errp);
    if (core->nvm_fd < 0) {
        return false;
    }
    if (fstat(core->nvm_fd, &st) < 0) {
        error_setg_errno(errp, errno, "igb: eeprom-file %s", path);
        igb_nvm_close(core);
        return false;
    }
    n = st.st_size == sizeof(img) ? pread(core->nvm_fd, img, sizeof(img), 0) :
                                    st.st_size;
    if (n == sizeof(img)) {
        for (int i = 0; i < IGB_EEPROM_WORDS; i++) {
            core->eeprom[i] = lduw_le_p(img + 2 * i);
        }
        return true;
    }
    if (n != 0) {
        error_setg(errp, "igb: eeprom-file %s holds %zd bytes, not %zu"
                   " (or 0 for a new image)", path, n, sizeof(img));
        igb_nvm_close(core);
        return false;
    }
    igb_nvm_sync(core);
    return true;
}

void igb_nvm_close(IgbCore *core)
{
    if (core->nvm_fd >= 0) {
        qemu_close(core->nvm_fd);
        core->nvm_fd = -1;
    }
}

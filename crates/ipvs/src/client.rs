// SPDX-License-Identifier: MIT OR Apache-2.0
//! The IPVS client: one generic-netlink socket in the caller's network
//! namespace, requests with their ACKs checked, dumps of any size, and
//! batches of writes without a round trip each.

use std::net::SocketAddr;
use std::os::fd::AsRawFd;

use netlink_packet_core::{
    DecodeError, NetlinkBuffer, NetlinkDeserializable, NetlinkHeader, NetlinkMessage,
    NetlinkPayload, NetlinkSerializable, NlasIterator, NLM_F_ACK, NLM_F_CAPPED, NLM_F_DUMP,
    NLM_F_REQUEST,
};
use netlink_packet_generic::ctrl::nlas::GenlCtrlAttrs;
use netlink_packet_generic::ctrl::{GenlCtrl, GenlCtrlCmd};
use netlink_packet_generic::{GenlFamily, GenlMessage};
use netlink_sys::{protocols::NETLINK_GENERIC, Socket, SocketAddr as NetlinkAddr};

use crate::batch::{self, Operation, OperationFailure, Request, Subject};
use crate::daemon::{SyncDaemon, SyncState};
use crate::destination::{Destination, DestinationEntry};
use crate::error::{Error, Result};
use crate::message::{IpvsAttribute, IpvsCommand, IpvsMessage};
use crate::service::{Service, ServiceEntry, ServiceKey};
use crate::settings::{Info, Timeouts};

/// Receive buffer for one datagram. The kernel never builds a dump
/// datagram larger than 32 KiB; error replies are capped (NETLINK_CAP_ACK).
const RECV_BUFFER: usize = 256 * 1024;
/// Socket buffers asked for (as root, past `net.core.[rw]mem_max`).
const SOCKET_BUFFER: libc::c_int = 8 * 1024 * 1024;
/// What one queued reply costs in the receive buffer (skb truesize),
/// rounded up: a batch chunk never has more requests than fit.
const REPLY_TRUESIZE: usize = 2048;
/// Bytes of requests per `sendmsg`.
const CHUNK_BYTES: usize = 256 * 1024;

/// `NLMSGERR_ATTR_MSG`: the extended ACK's text.
const NLMSGERR_ATTR_MSG: u16 = 1;

/// What the client has sent since it was opened: used to prove that a
/// no-op costs no write and a one-weight change costs one message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Requests that change the table (or sync daemons, timeouts, counters).
    pub writes: u64,
    /// Dump requests.
    pub dumps: u64,
    /// Other read requests (get one service, info, timeouts).
    pub reads: u64,
    /// `sendmsg` calls.
    pub send_calls: u64,
}

/// A connection to the kernel's IPVS, in the network namespace the caller
/// was in when it was opened.
pub struct Ipvs {
    socket: Socket,
    family_id: u16,
    sequence: u32,
    chunk_requests: usize,
    counters: Counters,
    buffer: Vec<u8>,
}

/// One reply, reduced to what the exchanges need.
enum Reply<I> {
    Message(u32, I),
    Ack(u32),
    Failed(u32, i32, Option<String>),
    Done(u32, i32),
}

impl Ipvs {
    /// Opens a socket and resolves the IPVS family.
    ///
    /// Fails with [`Error::NoIpvs`] when the kernel has no IPVS.
    pub fn connect() -> Result<Self> {
        let mut socket = Socket::new(NETLINK_GENERIC).map_err(Error::Socket)?;
        socket.bind_auto().map_err(Error::Socket)?;
        socket
            .connect(&NetlinkAddr::new(0, 0))
            .map_err(Error::Socket)?;
        // Extended ACKs carry the kernel's reason; capped ACKs keep error
        // replies small. Both are best effort: old kernels lack them.
        let _ = socket.set_ext_ack(true);
        let _ = socket.set_cap_ack(true);
        let receive_buffer = grow_buffers(&socket);
        let mut ipvs = Self {
            socket,
            family_id: 0,
            sequence: 0,
            chunk_requests: (receive_buffer / REPLY_TRUESIZE).max(8),
            counters: Counters::default(),
            buffer: Vec::with_capacity(RECV_BUFFER),
        };
        ipvs.family_id = ipvs.resolve_family()?;
        Ok(ipvs)
    }

    /// What has been sent so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The generic-netlink id the kernel gave the IPVS family.
    pub fn family_id(&self) -> u16 {
        self.family_id
    }

    /// Version and connection table size (`GET_INFO`).
    pub fn info(&mut self) -> Result<Info> {
        let replies = self.read(IpvsCommand::GetInfo, vec![], "get IPVS info")?;
        Ok(replies
            .first()
            .map(|m| Info::from_attributes(&m.attributes))
            .unwrap_or_default())
    }

    /// Every virtual service (`ipvsadm -L`, services only).
    ///
    /// Kernel quirk: the kernel keeps one service table for all network
    /// namespaces and resumes a multi-datagram dump by position in it, so a
    /// service added or deleted in *another* namespace during a large dump
    /// can make this dump skip or repeat an entry (ipvsadm has the same
    /// problem). Repeats are dropped here.
    pub fn services(&mut self) -> Result<Vec<ServiceEntry>> {
        let mut services = Vec::new();
        self.dump(
            IpvsCommand::GetService,
            vec![],
            "list services".into(),
            |attribute| {
                if let IpvsAttribute::Service(attrs) = attribute {
                    services.push(ServiceEntry::from_attributes(&attrs)?);
                }
                Ok(())
            },
        )?;
        let mut seen = std::collections::HashSet::with_capacity(services.len());
        services.retain(|s: &ServiceEntry| seen.insert(s.service.key));
        Ok(services)
    }

    /// One service, or [`Error::NoSuchService`].
    pub fn service(&mut self, key: &ServiceKey) -> Result<ServiceEntry> {
        let replies = self.read(
            IpvsCommand::GetService,
            vec![IpvsAttribute::Service(key.to_attributes())],
            &format!("get service {key}"),
        )?;
        replies
            .iter()
            .flat_map(|m| &m.attributes)
            .find_map(|a| match a {
                IpvsAttribute::Service(attrs) => Some(ServiceEntry::from_attributes(attrs)),
                _ => None,
            })
            .ok_or_else(|| Error::Protocol(format!("no service in the reply to get {key}")))?
            .map_err(decode)
    }

    /// The destinations of a service (`ipvsadm -L` for one service).
    ///
    /// Kernel quirk: the dump of a service that does not exist is empty,
    /// not an error; use [`Ipvs::service`] to tell the two apart.
    pub fn destinations(&mut self, key: &ServiceKey) -> Result<Vec<DestinationEntry>> {
        let family = key.family();
        let mut destinations = Vec::new();
        self.dump(
            IpvsCommand::GetDest,
            vec![IpvsAttribute::Service(key.to_attributes())],
            format!("list destinations of {key}"),
            |attribute| {
                if let IpvsAttribute::Destination(attrs) = attribute {
                    destinations.push(DestinationEntry::from_attributes(&attrs, family)?);
                }
                Ok(())
            },
        )?;
        Ok(destinations)
    }

    /// Adds a service (`ipvsadm -A`).
    pub fn add_service(&mut self, service: &Service) -> Result<()> {
        self.execute_one(Operation::AddService(service.clone()))
    }

    /// Edits a service (`ipvsadm -E`).
    pub fn edit_service(&mut self, service: &Service) -> Result<()> {
        self.execute_one(Operation::EditService(service.clone()))
    }

    /// Deletes a service and its destinations (`ipvsadm -D`).
    pub fn delete_service(&mut self, key: &ServiceKey) -> Result<()> {
        self.execute_one(Operation::DeleteService(*key))
    }

    /// Adds a destination to a service (`ipvsadm -a`).
    pub fn add_destination(&mut self, key: &ServiceKey, destination: &Destination) -> Result<()> {
        self.execute_one(Operation::AddDestination(*key, *destination))
    }

    /// Edits a destination (`ipvsadm -e`).
    pub fn edit_destination(&mut self, key: &ServiceKey, destination: &Destination) -> Result<()> {
        self.execute_one(Operation::EditDestination(*key, *destination))
    }

    /// Deletes a destination (`ipvsadm -d`).
    pub fn delete_destination(&mut self, key: &ServiceKey, address: &SocketAddr) -> Result<()> {
        self.execute_one(Operation::DeleteDestination(*key, *address))
    }

    /// The running sync daemons (`ipvsadm -L --daemon`).
    pub fn sync_daemons(&mut self) -> Result<Vec<SyncDaemon>> {
        let mut daemons = Vec::new();
        self.dump(
            IpvsCommand::GetDaemon,
            vec![],
            "list sync daemons".into(),
            |attribute| {
                if let IpvsAttribute::Daemon(attrs) = attribute {
                    daemons.push(SyncDaemon::from_attributes(&attrs)?);
                }
                Ok(())
            },
        )?;
        daemons.sort_by_key(|d| d.state);
        Ok(daemons)
    }

    /// Starts a sync daemon (`ipvsadm --start-daemon`).
    pub fn start_sync_daemon(&mut self, daemon: &SyncDaemon) -> Result<()> {
        self.write(batch::start_daemon_request(daemon))
    }

    /// Stops the sync daemon in a state (`ipvsadm --stop-daemon`).
    pub fn stop_sync_daemon(&mut self, state: SyncState) -> Result<()> {
        self.write(batch::stop_daemon_request(state))
    }

    /// The connection timeouts (`ipvsadm -L --timeout`).
    pub fn timeouts(&mut self) -> Result<Timeouts> {
        let replies = self.read(IpvsCommand::GetConfig, vec![], "get timeouts")?;
        Ok(replies
            .first()
            .map(|m| Timeouts::from_attributes(&m.attributes))
            .unwrap_or_default())
    }

    /// Sets the connection timeouts; a 0 leaves that one as it is
    /// (`ipvsadm --set`).
    pub fn set_timeouts(&mut self, timeouts: Timeouts) -> Result<()> {
        let description = format!(
            "set timeouts tcp {} tcpfin {} udp {}",
            timeouts.tcp, timeouts.tcp_fin, timeouts.udp
        );
        self.write(Request::new(
            IpvsMessage::new(IpvsCommand::SetConfig, timeouts.to_attributes()),
            description,
            Subject::Other,
        ))
    }

    /// Zeroes the counters of one service, or of all (`ipvsadm -Z`).
    pub fn zero(&mut self, key: Option<&ServiceKey>) -> Result<()> {
        let (attributes, description) = match key {
            Some(key) => (
                vec![IpvsAttribute::Service(key.to_attributes())],
                format!("zero counters of {key}"),
            ),
            None => (vec![], "zero all counters".to_string()),
        };
        self.write(Request::new(
            IpvsMessage::new(IpvsCommand::Zero, attributes),
            description,
            Subject::Other,
        ))
    }

    /// Deletes every service (`ipvsadm -C`).
    pub fn flush(&mut self) -> Result<()> {
        self.write(Request::new(
            IpvsMessage::new(IpvsCommand::Flush, vec![]),
            "flush the table".into(),
            Subject::Other,
        ))
    }

    /// Sends many operations with as few `sendmsg` calls as the socket
    /// buffers allow, in order. The kernel goes on after a refused
    /// operation, so later ones still run; every refusal is returned, by
    /// index, and the list is empty when all succeeded. `Err` means the
    /// socket itself failed and the outcome of the batch is unknown.
    pub fn execute(&mut self, operations: &[Operation]) -> Result<Vec<OperationFailure>> {
        let requests: Vec<Request> = operations.iter().map(Operation::to_request).collect();
        // Encode everything once, in order, then cut into chunks.
        let mut frame = Vec::new();
        let mut offsets = Vec::with_capacity(requests.len() + 1);
        let first_sequence = self.sequence.wrapping_add(1);
        for request in &requests {
            offsets.push(frame.len());
            self.encode(&mut frame, request.message.clone(), 0);
        }
        offsets.push(frame.len());
        let mut failures = Vec::new();
        let mut start = 0;
        while start < requests.len() {
            let mut end = start + 1;
            while end < requests.len()
                && end - start < self.chunk_requests
                && offsets[end + 1] - offsets[start] <= CHUNK_BYTES
            {
                end += 1;
            }
            // Only the last request of a chunk asks for an ACK: the kernel
            // handles a datagram's messages in order and answers failures
            // anyway, so that ACK closes the chunk.
            set_ack_flag(&mut frame[offsets[end - 1]..offsets[end]]);
            let last_sequence = first_sequence.wrapping_add((end - 1) as u32);
            self.send(&frame[offsets[start]..offsets[end]])?;
            self.counters.writes += (end - start) as u64;
            self.receive_until(|reply: Reply<GenlMessage<IpvsMessage>>| match reply {
                Reply::Failed(seq, errno, detail) => {
                    if let Some(index) = index_of(seq, first_sequence, start, end) {
                        failures.push(OperationFailure {
                            index,
                            error: requests[index].error(errno, detail),
                        });
                    }
                    Ok(seq == last_sequence)
                }
                Reply::Ack(seq) => Ok(seq == last_sequence),
                Reply::Message(..) | Reply::Done(..) => Ok(false),
            })?;
            start = end;
        }
        Ok(failures)
    }

    fn execute_one(&mut self, operation: Operation) -> Result<()> {
        self.write(operation.to_request())
    }

    fn write(&mut self, request: Request) -> Result<()> {
        let mut frame = Vec::new();
        let seq = self.encode(&mut frame, request.message.clone(), NLM_F_ACK);
        self.send(&frame)?;
        self.counters.writes += 1;
        let mut outcome = Ok(());
        self.receive_until(|reply: Reply<GenlMessage<IpvsMessage>>| match reply {
            Reply::Ack(s) => Ok(s == seq),
            Reply::Failed(s, errno, detail) if s == seq => {
                outcome = Err(request.error(errno, detail));
                Ok(true)
            }
            _ => Ok(false),
        })?;
        outcome
    }

    /// A request answered by one message and an ACK.
    fn read(
        &mut self,
        command: IpvsCommand,
        attributes: Vec<IpvsAttribute>,
        description: &str,
    ) -> Result<Vec<IpvsMessage>> {
        let request = Request::new(
            IpvsMessage::new(command, attributes),
            description.to_string(),
            Subject::Other,
        );
        let mut frame = Vec::new();
        let seq = self.encode(&mut frame, request.message.clone(), NLM_F_ACK);
        self.send(&frame)?;
        self.counters.reads += 1;
        let mut messages = Vec::new();
        let mut outcome = Ok(());
        self.receive_until(|reply: Reply<GenlMessage<IpvsMessage>>| match reply {
            Reply::Message(s, m) if s == seq => {
                messages.push(m.payload);
                Ok(false)
            }
            Reply::Ack(s) => Ok(s == seq),
            Reply::Failed(s, errno, detail) if s == seq => {
                outcome = Err(request.error(errno, detail));
                Ok(true)
            }
            _ => Ok(false),
        })?;
        outcome.map(|()| messages)
    }

    /// A dump: hands every top-level attribute of every message to `each`,
    /// as it arrives, until `NLMSG_DONE`.
    fn dump(
        &mut self,
        command: IpvsCommand,
        attributes: Vec<IpvsAttribute>,
        description: String,
        mut each: impl FnMut(IpvsAttribute) -> Result<(), DecodeError>,
    ) -> Result<()> {
        let request = Request::new(
            IpvsMessage::new(command, attributes),
            description,
            Subject::Other,
        );
        let mut frame = Vec::new();
        let seq = self.encode(&mut frame, request.message.clone(), NLM_F_DUMP);
        self.send(&frame)?;
        self.counters.dumps += 1;
        let mut outcome = Ok(());
        self.receive_until(|reply: Reply<GenlMessage<IpvsMessage>>| match reply {
            Reply::Message(s, m) if s == seq => {
                for attribute in m.payload.attributes {
                    each(attribute).map_err(decode)?;
                }
                Ok(false)
            }
            Reply::Done(s, code) if s == seq => {
                if code < 0 {
                    outcome = Err(request.error(-code, None));
                }
                Ok(true)
            }
            Reply::Failed(s, errno, detail) if s == seq => {
                outcome = Err(request.error(errno, detail));
                Ok(true)
            }
            _ => Ok(false),
        })?;
        outcome
    }

    fn resolve_family(&mut self) -> Result<u16> {
        let mut genl = GenlMessage::from_payload(GenlCtrl {
            cmd: GenlCtrlCmd::GetFamily,
            nlas: vec![GenlCtrlAttrs::FamilyName(
                IpvsMessage::family_name().to_string(),
            )],
        });
        genl.finalize();
        let mut frame = Vec::new();
        let seq = self.encode_raw(&mut frame, genl, NLM_F_ACK);
        self.send(&frame)?;
        let mut outcome = Err(Error::Protocol("no reply to the family lookup".into()));
        self.receive_until(|reply: Reply<GenlMessage<GenlCtrl>>| match reply {
            Reply::Message(s, m) if s == seq => {
                let id = m.payload.nlas.iter().find_map(|a| match a {
                    GenlCtrlAttrs::FamilyId(id) => Some(*id),
                    _ => None,
                });
                if let Some(id) = id {
                    outcome = Ok(id);
                }
                Ok(false)
            }
            Reply::Ack(s) => Ok(s == seq),
            Reply::Failed(s, errno, _) if s == seq => {
                outcome = Err(match errno {
                    libc::ENOENT => Error::NoIpvs,
                    libc::EPERM | libc::EACCES => Error::PermissionDenied,
                    errno => Error::Socket(std::io::Error::from_raw_os_error(errno)),
                });
                Ok(true)
            }
            _ => Ok(false),
        })?;
        outcome
    }

    fn encode(&mut self, frame: &mut Vec<u8>, message: IpvsMessage, flags: u16) -> u32 {
        let mut genl = GenlMessage::from_payload(message);
        genl.set_resolved_family_id(self.family_id);
        self.encode_raw(frame, genl, flags)
    }

    fn encode_raw<I: NetlinkSerializable>(
        &mut self,
        frame: &mut Vec<u8>,
        inner: I,
        flags: u16,
    ) -> u32 {
        self.sequence = self.sequence.wrapping_add(1);
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | flags;
        header.sequence_number = self.sequence;
        let mut message = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(inner));
        message.finalize();
        let start = frame.len();
        frame.resize(start + message.buffer_len(), 0);
        message.serialize(&mut frame[start..]);
        self.sequence
    }

    fn send(&mut self, frame: &[u8]) -> Result<()> {
        self.counters.send_calls += 1;
        let sent = self.socket.send(frame, 0).map_err(Error::Socket)?;
        if sent != frame.len() {
            return Err(Error::Protocol(format!(
                "sent {sent} of {} bytes",
                frame.len()
            )));
        }
        Ok(())
    }

    /// Reads datagrams and hands every reply to `handle` until it answers
    /// `true`.
    fn receive_until<I>(&mut self, mut handle: impl FnMut(Reply<I>) -> Result<bool>) -> Result<()>
    where
        I: NetlinkDeserializable,
        I::Error: std::fmt::Display,
    {
        loop {
            self.receive()?;
            let mut offset = 0;
            while offset < self.buffer.len() {
                let bytes = &self.buffer[offset..];
                let length = NetlinkBuffer::new_checked(bytes).map_err(decode)?.length() as usize;
                let length = length.clamp(16, bytes.len());
                let message = NetlinkMessage::<I>::deserialize(&bytes[..length]).map_err(decode)?;
                offset += (length + 3) & !3;
                let seq = message.header.sequence_number;
                let capped = message.header.flags & NLM_F_CAPPED != 0;
                let reply = match message.payload {
                    NetlinkPayload::InnerMessage(inner) => Reply::Message(seq, inner),
                    NetlinkPayload::Error(error) => match error.code {
                        None => Reply::Ack(seq),
                        Some(code) => Reply::Failed(
                            seq,
                            -code.get(),
                            extended_ack_text(&error.header, capped),
                        ),
                    },
                    NetlinkPayload::Done(done) => Reply::Done(seq, done.code),
                    _ => continue,
                };
                if handle(reply)? {
                    return Ok(());
                }
            }
        }
    }

    fn receive(&mut self) -> Result<()> {
        self.buffer.clear();
        self.buffer.reserve(RECV_BUFFER);
        // SAFETY: the pointer and capacity describe the vector's spare
        // space; the kernel writes at most that many bytes into it.
        let received = unsafe {
            libc::recv(
                self.socket.as_raw_fd(),
                self.buffer.as_mut_ptr().cast(),
                self.buffer.capacity(),
                libc::MSG_TRUNC,
            )
        };
        if received < 0 {
            let error = std::io::Error::last_os_error();
            return Err(match error.raw_os_error() {
                Some(libc::ENOBUFS) => {
                    Error::Protocol("kernel replies were lost: receive buffer overrun".into())
                }
                _ => Error::Socket(error),
            });
        }
        let received = received as usize;
        if received > self.buffer.capacity() {
            return Err(Error::Protocol(format!(
                "a {received}-byte reply was truncated"
            )));
        }
        // SAFETY: the kernel initialised `received` bytes.
        unsafe { self.buffer.set_len(received) };
        Ok(())
    }
}

/// Which operation of the chunk `start..end` a sequence number belongs to;
/// `first` is the sequence number of operation 0.
fn index_of(seq: u32, first: u32, start: usize, end: usize) -> Option<usize> {
    let index = seq.wrapping_sub(first) as usize;
    (start..end).contains(&index).then_some(index)
}

/// Sets `NLM_F_ACK` in an encoded message's header (flags: bytes 6..8).
fn set_ack_flag(message: &mut [u8]) {
    let flags = u16::from_ne_bytes([message[6], message[7]]) | NLM_F_ACK;
    message[6..8].copy_from_slice(&flags.to_ne_bytes());
}

fn decode(error: impl std::fmt::Display) -> Error {
    Error::Decode(error.to_string())
}

/// The text of an extended ACK (`NLMSGERR_ATTR_MSG`), if any. `payload` is
/// what follows the error code: the request's header (whole request when
/// not capped), then the attributes.
fn extended_ack_text(payload: &[u8], capped: bool) -> Option<String> {
    let request_len = if capped {
        16
    } else {
        payload
            .get(..4)
            .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as usize)?
    };
    let attributes = payload.get(((request_len + 3) & !3)..)?;
    NlasIterator::new(attributes)
        .filter_map(|nla| nla.ok())
        .find_map(|nla| {
            (nla.kind() == NLMSGERR_ATTR_MSG).then(|| {
                String::from_utf8_lossy(nla.value())
                    .trim_end_matches('\0')
                    .to_string()
            })
        })
}

/// Asks for large socket buffers (forced past the sysctl limits when root)
/// and returns the receive buffer the kernel granted.
fn grow_buffers(socket: &Socket) -> usize {
    let fd = socket.as_raw_fd();
    for (force, plain) in [
        (libc::SO_SNDBUFFORCE, libc::SO_SNDBUF),
        (libc::SO_RCVBUFFORCE, libc::SO_RCVBUF),
    ] {
        if setsockopt_int(fd, force, SOCKET_BUFFER).is_err() {
            let _ = setsockopt_int(fd, plain, SOCKET_BUFFER);
        }
    }
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: value and len point at live locals of the right size.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if rc == 0 && value > 0 {
        value as usize
    } else {
        212_992
    }
}

fn setsockopt_int(fd: libc::c_int, option: libc::c_int, value: libc::c_int) -> std::io::Result<()> {
    // SAFETY: value is a live c_int and its size is passed.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            option,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(all(test, target_endian = "little"))]
mod tests {
    use super::*;

    /// A refused `GET_SERVICE` request, whole.
    #[rustfmt::skip]
    const REQUEST: [u8; 40] = [
        // nlmsg_len 0x28 = 40, nlmsg_type 0x0023 (IPVS), flags 0x0005 (REQUEST | ACK)
        0x28, 0x00, 0x00, 0x00, 0x23, 0x00, 0x05, 0x00,
        // nlmsg_seq 9, nlmsg_pid 0
        0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        // genl: cmd 4 (GET_SERVICE), version 1, reserved 0
        0x04, 0x01, 0x00, 0x00,
        // len 20, type 0x8001 (CMD_ATTR_SERVICE | NLA_F_NESTED)
        0x14, 0x00, 0x01, 0x80,
        //   len 6, type 1 (SVC_ATTR_AF), 2 = AF_INET
        0x06, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,
        //   len 8, type 5 (SVC_ATTR_FWMARK), 7
        0x08, 0x00, 0x05, 0x00, 0x07, 0x00, 0x00, 0x00,
    ];

    /// Extended-ACK attributes: an offset, then the message.
    #[rustfmt::skip]
    const ACK_TLVS: [u8; 36] = [
        // len 8, type 2 (NLMSGERR_ATTR_OFFS), u32 0x14
        0x08, 0x00, 0x02, 0x00, 0x14, 0x00, 0x00, 0x00,
        // len 26, type 1 (NLMSGERR_ATTR_MSG), "Unsupported attribute\0", 2 bytes padding
        0x1a, 0x00, 0x01, 0x00, b'U', b'n', b's', b'u', b'p', b'p', b'o', b'r', b't', b'e', b'd',
        b' ', b'a', b't', b't', b'r', b'i', b'b', b'u', b't', b'e', 0x00, 0x00, 0x00,
    ];

    fn payload(request: &[u8], tlvs: &[u8]) -> Vec<u8> {
        let mut payload = request.to_vec();
        payload.extend_from_slice(tlvs);
        payload
    }

    #[test]
    fn extended_ack_text_after_capped_header() {
        // NLM_F_CAPPED: only the request's 16-byte header is echoed.
        let payload = payload(&REQUEST[..16], &ACK_TLVS);
        assert_eq!(
            extended_ack_text(&payload, true).as_deref(),
            Some("Unsupported attribute")
        );
    }

    #[test]
    fn extended_ack_text_after_whole_request() {
        // Not capped: the whole request (length in its first 4 bytes) is echoed.
        let payload = payload(&REQUEST, &ACK_TLVS);
        assert_eq!(
            extended_ack_text(&payload, false).as_deref(),
            Some("Unsupported attribute")
        );
    }

    #[test]
    fn no_extended_ack_without_tlvs() {
        assert_eq!(extended_ack_text(&REQUEST[..16], true), None);
        assert_eq!(extended_ack_text(&REQUEST, false), None);
    }

    #[test]
    fn no_extended_ack_without_a_message_attribute() {
        // Only NLMSGERR_ATTR_OFFS.
        let payload = payload(&REQUEST[..16], &ACK_TLVS[..8]);
        assert_eq!(extended_ack_text(&payload, true), None);
    }

    #[test]
    fn extended_ack_message_without_nul_is_read_whole() {
        #[rustfmt::skip]
        let tlvs = [
            // len 7, type 1 (NLMSGERR_ATTR_MSG), "bad" with no NUL, 1 byte padding
            0x07, 0x00, 0x01, 0x00, b'b', b'a', b'd', 0x00,
        ];
        let payload = payload(&REQUEST[..16], &tlvs);
        assert_eq!(extended_ack_text(&payload, true).as_deref(), Some("bad"));
    }

    #[test]
    fn truncated_error_payload_gives_no_text() {
        // Shorter than the length the echoed request claims.
        assert_eq!(extended_ack_text(&REQUEST[..20], false), None);
        // Shorter than a capped header.
        assert_eq!(extended_ack_text(&REQUEST[..8], true), None);
        assert_eq!(extended_ack_text(&[], true), None);
        assert_eq!(extended_ack_text(&[], false), None);
    }

    #[test]
    fn index_of_maps_sequence_to_operation() {
        // Operation 0 went out with sequence 10; the chunk is operations 2..5.
        assert_eq!(index_of(12, 10, 2, 5), Some(2));
        assert_eq!(index_of(14, 10, 2, 5), Some(4));
    }

    #[test]
    fn index_of_rejects_sequences_outside_the_chunk() {
        assert_eq!(index_of(11, 10, 2, 5), None);
        assert_eq!(index_of(15, 10, 2, 5), None);
        // Before the first operation: wraps to a huge index, not a panic.
        assert_eq!(index_of(9, 10, 0, 5), None);
    }

    #[test]
    fn index_of_survives_sequence_wrap_around() {
        assert_eq!(index_of(u32::MAX, u32::MAX, 0, 3), Some(0));
        assert_eq!(index_of(0, u32::MAX, 0, 3), Some(1));
        assert_eq!(index_of(1, u32::MAX, 0, 3), Some(2));
        assert_eq!(index_of(2, u32::MAX, 0, 3), None);
    }

    #[test]
    fn set_ack_flag_sets_bit_2_of_the_header_flags() {
        let mut message = REQUEST;
        // flags 0x0001: NLM_F_REQUEST only
        message[6..8].copy_from_slice(&[0x01, 0x00]);
        set_ack_flag(&mut message);
        // flags 0x0005: NLM_F_REQUEST | NLM_F_ACK
        assert_eq!(message[6..8], [0x05, 0x00]);
        // Nothing else changes.
        assert_eq!(message[..6], REQUEST[..6]);
        assert_eq!(message[8..], REQUEST[8..]);
    }

    #[test]
    fn set_ack_flag_keeps_other_flags() {
        let mut message = REQUEST;
        // flags 0x0301: NLM_F_REQUEST | NLM_F_DUMP
        message[6..8].copy_from_slice(&[0x01, 0x03]);
        set_ack_flag(&mut message);
        assert_eq!(message[6..8], [0x05, 0x03]);
        // Already set: unchanged.
        set_ack_flag(&mut message);
        assert_eq!(message[6..8], [0x05, 0x03]);
    }
}
